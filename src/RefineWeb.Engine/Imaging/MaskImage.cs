using SkiaSharp;

namespace RefineWeb.Engine.Imaging;

/// <summary>A brushed mask as an image file: white (light) = re-refine, black (dark) = keep.</summary>
public static class MaskImage
{
    /// <summary>Decodes a mask image and fits it to width x height (nearest pixel, so edges stay hard).</summary>
    public static bool[] Decode(byte[] encoded, int width, int height)
    {
        using var decoded = SKBitmap.Decode(encoded) ?? throw new InvalidDataException("The mask is not an image (PNG expected).");
        using var fitted = decoded.Width == width && decoded.Height == height
            ? decoded.Copy()
            : decoded.Resize(new SKImageInfo(width, height), new SKSamplingOptions(SKFilterMode.Nearest));
        var mask = new bool[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var pixel = fitted.GetPixel(x, y);
                // Transparent counts as keep, whatever its colour (canvas exports are transparent where unpainted).
                mask[y * width + x] = pixel.Alpha >= 128 && 0.299 * pixel.Red + 0.587 * pixel.Green + 0.114 * pixel.Blue >= 128;
            }
        return mask;
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
