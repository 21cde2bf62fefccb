using SkiaSharp;

namespace RefineWeb.Engine.Imaging;

/// <summary>Pictures brought to the size a stage works at.</summary>
public static class ImageResize
{
    /// <summary>Square <paramref name="size"/> px: centre-cropped to square, then area-averaged (or bicubic when growing).</summary>
    public static RgbImage CentreSquare(RgbImage image, int size)
    {
        if (image.Width == size && image.Height == size) return image;
        using var bitmap = image.ToBitmap();
        int side = Math.Min(image.Width, image.Height);
        using var square = new SKBitmap(side, side, SKColorType.Rgba8888, SKAlphaType.Opaque);
        bitmap.ExtractSubset(square, SKRectI.Create((image.Width - side) / 2, (image.Height - side) / 2, side, side));
        using var resized = square.Resize(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque),
            side > size ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear) : new SKSamplingOptions(SKCubicResampler.CatmullRom));
        using var tensor = ImageTensor.FromBitmap(resized);
        return ImageTensor.ToRgb(tensor);
    }
}
