using SkiaSharp;

namespace RefineWeb.Datasets;

/// <summary>Normalizes a source picture to the training format: square, opaque RGB on white, given side.</summary>
public static class EmojiPng
{
    public static void WriteOnWhite(byte[] source, int side, string destination)
    {
        using var decoded = SKBitmap.Decode(source) ?? throw new InvalidDataException($"Not a decodable image (for {destination}).");
        using var surface = SKSurface.Create(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Premul));
        surface.Canvas.Clear(SKColors.White);
        using var image = SKImage.FromBitmap(decoded);
        using var paint = new SKPaint();
        surface.Canvas.DrawImage(image, new SKRect(0, 0, side, side), new SKSamplingOptions(SKCubicResampler.Mitchell), paint);
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        WriteAtomically(data.ToArray(), destination);
    }

    /// <summary>
    /// Halves an opaque square PNG by averaging each 2x2 block (a box filter, the downsampling the trainer and the
    /// evaluation use), so the smaller picture is derived from the larger one rather than rendered on its own.
    /// </summary>
    public static void WriteBoxDownsampled(string source, string destination)
    {
        using var decoded = SKBitmap.Decode(source) ?? throw new InvalidDataException($"{source} is not a decodable image.");
        if (decoded.Width != decoded.Height || decoded.Width % 2 != 0)
            throw new InvalidDataException($"{source} is {decoded.Width}x{decoded.Height}; box downsampling needs an even square.");
        using var rgba = decoded.Copy(SKColorType.Rgba8888);
        int side = rgba.Width, half = side / 2;
        var input = rgba.Bytes;
        var output = new byte[half * half * 4];
        for (int y = 0; y < half; y++)
            for (int x = 0; x < half; x++)
                for (int c = 0; c < 4; c++)
                {
                    int top = ((2 * y) * side + 2 * x) * 4 + c, bottom = top + side * 4;
                    output[(y * half + x) * 4 + c] = (byte)((input[top] + input[top + 4] + input[bottom] + input[bottom + 4] + 2) / 4);
                }
        using var result = new SKBitmap(new SKImageInfo(half, half, SKColorType.Rgba8888, SKAlphaType.Opaque));
        System.Runtime.InteropServices.Marshal.Copy(output, 0, result.GetPixels(), output.Length);
        using var data = result.Encode(SKEncodedImageFormat.Png, 100);
        WriteAtomically(data.ToArray(), destination);
    }

    /// <summary>An opaque square PNG's pixels as RGBA bytes, row by row, and its side.</summary>
    public static (byte[] Rgba, int Side) ReadRgba(string path)
    {
        using var decoded = SKBitmap.Decode(path) ?? throw new InvalidDataException($"{path} is not a decodable image.");
        if (decoded.Width != decoded.Height) throw new InvalidDataException($"{path} is {decoded.Width}x{decoded.Height}, not square.");
        using var rgba = decoded.Copy(SKColorType.Rgba8888);
        return (rgba.Bytes, rgba.Width);
    }

    /// <summary>Writes opaque RGBA bytes (as <see cref="ReadRgba"/> gives them) as a PNG, atomically.</summary>
    public static void WriteRgba(byte[] rgba, int side, string destination)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Opaque));
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), side * side * 4);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        WriteAtomically(data.ToArray(), destination);
    }

    static void WriteAtomically(byte[] bytes, string destination)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var temporary = destination + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, destination, overwrite: true);
    }
}
