using SkiaSharp;

namespace RefineWeb.Engine.Imaging;

/// <summary>A brushed mask as an image file: white (light) = re-refine, black (dark) = keep.</summary>
public static class MaskImage
{
    /// <summary>How many times the image's size a mask may be (a canvas drawn at a high device pixel ratio).</summary>
    public const int MaxScale = 4;

    /// <summary>
    /// Decodes a mask for a width x height image. The size is read from the file's header before any pixel is
    /// decoded: it must be the image's, or an exact integer multiple of it (up to <see cref="MaxScale"/>), so a huge
    /// or mismatched mask is refused without allocating it. A damaged or truncated file is refused too. Null with the
    /// reason when refused.
    /// </summary>
    public static (bool[]? Mask, string? Problem) Decode(byte[] encoded, int width, int height)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        if (codec is null || codec.EncodedFormat != SKEncodedImageFormat.Png) return (null, "The mask is not a PNG image.");
        var (maskWidth, maskHeight) = (codec.Info.Width, codec.Info.Height);
        int scale = maskWidth / Math.Max(1, width);
        if (scale < 1 || scale > MaxScale || maskWidth != scale * width || maskHeight != scale * height)
            return (null, $"The mask is {maskWidth}x{maskHeight} px; it must be {width}x{height} px, the image's size (or exactly 2 to {MaxScale} times it).");
        using var decoded = new SKBitmap(new SKImageInfo(maskWidth, maskHeight, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var result = codec.GetPixels(decoded.Info, decoded.GetPixels());
        if (result != SKCodecResult.Success) return (null, $"The mask is truncated or damaged ({result}).");
        var mask = new bool[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                // The centre of each scale x scale block (nearest pixel, so edges stay hard).
                var pixel = decoded.GetPixel(x * scale + scale / 2, y * scale + scale / 2);
                // Transparent counts as keep, whatever its colour (canvas exports are transparent where unpainted).
                mask[y * width + x] = pixel.Alpha >= 128 && 0.299 * pixel.Red + 0.587 * pixel.Green + 0.114 * pixel.Blue >= 128;
            }
        return (mask, null);
    }

    /// <summary>A mask as a black-and-white PNG (lineage records, tests).</summary>
    public static byte[] ToPng(bool[] mask, int width, int height)
    {
        var pixels = new byte[width * height * 3];
        for (int p = 0; p < mask.Length; p++)
            if (mask[p]) pixels[3 * p] = pixels[3 * p + 1] = pixels[3 * p + 2] = 255;
        return new RgbImage(width, height, pixels).ToPng();
    }
}
