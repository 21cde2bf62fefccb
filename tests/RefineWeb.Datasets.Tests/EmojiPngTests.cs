using SkiaSharp;

namespace RefineWeb.Datasets.Tests;

public sealed class EmojiPngTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("refineweb-png-").FullName;
    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Box_downsampling_averages_each_2x2_block_and_rounds()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(4, 4, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(x * 60 + y), (byte)(y * 70), (byte)(x == 0 && y == 0 ? 1 : 0)));
        var source = Path.Combine(root, "four.png");
        using (var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)) File.WriteAllBytes(source, data.ToArray());

        var destination = Path.Combine(root, "two.png");
        EmojiPng.WriteBoxDownsampled(source, destination);
        using var half = SKBitmap.Decode(destination);
        Assert.Equal((2, 2), (half.Width, half.Height));
        // Top-left block: red 0, 60, 1, 61 -> 30.5 -> 31 (rounded half up); green 0, 0, 70, 70 -> 35; blue 1, 0, 0, 0 -> 0.25 -> 0.
        Assert.Equal(new SKColor(31, 35, 0), half.GetPixel(0, 0));
        // Bottom-right block: red 122, 182, 123, 183 -> 152.5 -> 153; green 140, 140, 210, 210 -> 175.
        Assert.Equal(new SKColor(153, 175, 0), half.GetPixel(1, 1));
    }

    [Fact]
    public void An_odd_picture_is_refused()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(3, 3, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var source = Path.Combine(root, "odd.png");
        using (var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)) File.WriteAllBytes(source, data.ToArray());
        Assert.Throws<InvalidDataException>(() => EmojiPng.WriteBoxDownsampled(source, Path.Combine(root, "out.png")));
        Assert.False(File.Exists(Path.Combine(root, "out.png")));
    }
}
