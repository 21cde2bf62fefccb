using SkiaSharp;

namespace RefineWeb.Tests.Generation;

/// <summary>How far two pictures of one request are apart: batching may move a few bytes by a level or two, no more.</summary>
static class PictureDifference
{
    /// <summary>The largest difference of any channel of any pixel between two PNGs of the same size (0-255).</summary>
    public static int MaxChannel(byte[] firstPng, byte[] secondPng)
    {
        using SKBitmap a = SKBitmap.Decode(firstPng) ?? throw new InvalidDataException("not a PNG"),
            b = SKBitmap.Decode(secondPng) ?? throw new InvalidDataException("not a PNG");
        int max = 0;
        for (int y = 0; y < a.Height; y++)
            for (int x = 0; x < a.Width; x++)
            {
                SKColor p = a.GetPixel(x, y), q = b.GetPixel(x, y);
                max = Math.Max(max, Math.Max(Math.Abs(p.Red - q.Red), Math.Max(Math.Abs(p.Green - q.Green), Math.Abs(p.Blue - q.Blue))));
            }
        return max;
    }
}
