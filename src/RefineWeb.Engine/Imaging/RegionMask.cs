using SkiaSharp;

namespace RefineWeb.Engine.Imaging;

/// <summary>
/// A layout region painted as an image: a square PNG, white (light, opaque) where the region is. It is read at its
/// own size and pooled to each stage's (<see cref="Pipelines.Regions.PromptRegion.MaskAt"/>), so one mask serves
/// every stage, as a rectangle in fractions does.
/// </summary>
public static class RegionMask
{
    /// <summary>Sides a region mask may have: from the base's 16 px to 4 times a 256 px picture (a canvas at a high pixel ratio).</summary>
    public const int MinSide = 16, MaxSide = 1024;

    /// <summary>Bytes of the decoded PNG at most (a painted mask is a few kilobytes).</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>
    /// Decodes a base64 PNG. The size is read from the header before any pixel is decoded: square, <see cref="MinSide"/>
    /// to <see cref="MaxSide"/> px. A damaged file, or one with no white pixel, is refused. Null with the reason when refused.
    /// </summary>
    public static (bool[]? Mask, int Side, string? Problem) Decode(string? base64)
    {
        if (string.IsNullOrEmpty(base64)) return (null, 0, "The mask is empty: send a PNG as base64, white where the region is.");
        if (base64.Length > (MaxBytes + 2) / 3 * 4) return (null, 0, $"The mask is over {MaxBytes / 1024} KB; a painted mask is a few KB.");
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            return (null, 0, "The mask is not base64 text (a PNG file encoded as base64, without a data: prefix).");
        }
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        if (codec is null || codec.EncodedFormat != SKEncodedImageFormat.Png) return (null, 0, "The mask is not a PNG image.");
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width != height || width is < MinSide or > MaxSide)
            return (null, 0, $"The mask is {width}x{height} px; it must be square, {MinSide} to {MaxSide} px a side (the picture's size, or 2 to 4 times it).");
        using var decoded = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var result = codec.GetPixels(decoded.Info, decoded.GetPixels());
        if (result != SKCodecResult.Success) return (null, 0, $"The mask is truncated or damaged ({result}).");
        var mask = new bool[width * height];
        var pixels = decoded.Pixels;
        for (int p = 0; p < mask.Length; p++)
        {
            var pixel = pixels[p];
            // Transparent counts as outside, whatever its colour (canvas exports are transparent where unpainted).
            mask[p] = pixel.Alpha >= 128 && 0.299 * pixel.Red + 0.587 * pixel.Green + 0.114 * pixel.Blue >= 128;
        }
        if (!mask.Contains(true)) return (null, 0, "The mask has no white pixel: paint where the region goes in white.");
        return (mask, width, null);
    }

    /// <summary>A region's mask as a base64 PNG, white inside (tests, presets).</summary>
    public static string ToBase64(bool[] mask, int side) => Convert.ToBase64String(MaskImage.ToPng(mask, side, side));
}
