using SkiaSharp;

namespace RefineWeb.Engine.Imaging;

/// <summary>
/// Checks an uploaded file before anything is kept: size, format (PNG, JPEG, WebP, by content, not by name),
/// dimensions read from the header before decoding (so a decompression bomb is refused unread), and a complete
/// decode (a truncated file is refused). A JPEG's EXIF orientation is applied. Transparent pictures are composited on white like the training data.
/// </summary>
public static class ImageUpload
{
    public const long MaxBytes = 10 * 1024 * 1024;
    public const int MaxSide = 2048;
    /// <summary>The whole multipart request may be a little larger than the file it carries.</summary>
    public const long MaxRequestBytes = MaxBytes + 64 * 1024;
    static readonly SKEncodedImageFormat[] Accepted = [SKEncodedImageFormat.Png, SKEncodedImageFormat.Jpeg, SKEncodedImageFormat.Webp];

    /// <summary>The picture as opaque RGB, or why it was refused.</summary>
    public static (RgbImage? Image, string? Error) Read(byte[] file)
    {
        if (file.Length == 0) return (null, "The file is empty.");
        if (file.Length > MaxBytes) return (null, $"The file is {file.Length / (1024.0 * 1024):0.0} MB; at most {MaxBytes / (1024 * 1024)} MB.");
        using var data = SKData.CreateCopy(file);
        using var codec = SKCodec.Create(data);
        if (codec is null || !Accepted.Contains(codec.EncodedFormat)) return (null, "The file is not a PNG, JPEG or WebP image.");
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width < 1 || height < 1) return (null, "The image has no pixels.");
        if (width > MaxSide || height > MaxSide) return (null, $"The image is {width}x{height} px; at most {MaxSide} px a side.");

        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var result = codec.GetPixels(bitmap.Info, bitmap.GetPixels());
        if (result != SKCodecResult.Success) return (null, $"The image is truncated or damaged ({result}).");
        using var opaque = WhiteComposite.Flatten(bitmap);
        using var tensor = ImageTensor.FromBitmap(opaque);
        return (ExifOrientation.Upright(ImageTensor.ToRgb(tensor), codec.EncodedOrigin), null); // a phone's photo as it was taken
    }
}
