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
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var temporary = destination + ".tmp";
        File.WriteAllBytes(temporary, data.ToArray());
        File.Move(temporary, destination, overwrite: true);
    }
}
