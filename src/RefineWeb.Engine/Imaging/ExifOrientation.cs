using SkiaSharp;

namespace RefineWeb.Engine.Imaging;

/// <summary>
/// A photo upright as its camera meant it: a phone stores the sensor's pixels and an EXIF orientation (1-8) saying
/// how to turn them; SkiaSharp's codec reports it (<see cref="SKCodec.EncodedOrigin"/>) but does not apply it.
/// </summary>
public static class ExifOrientation
{
    /// <summary>The image turned and mirrored as <paramref name="origin"/> says; the same image when it is already upright.</summary>
    public static RgbImage Upright(RgbImage stored, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft || !Enum.IsDefined(origin)) return stored;
        var (w, h) = (stored.Width, stored.Height);
        bool swaps = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var (outW, outH) = swaps ? (h, w) : (w, h);
        var pixels = new byte[stored.Pixels.Length];
        for (int y = 0; y < outH; y++)
            for (int x = 0; x < outW; x++)
            {
                // Where the upright pixel (x, y) is in the stored picture.
                var (sx, sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - x, y),           // mirrored left-right
                    SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y), // turned 180°
                    SKEncodedOrigin.BottomLeft => (x, h - 1 - y),          // mirrored top-bottom
                    SKEncodedOrigin.LeftTop => (y, x),                     // transposed
                    SKEncodedOrigin.RightTop => (y, h - 1 - x),            // to be turned 90° clockwise
                    SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x), // transversed
                    _ => (w - 1 - y, x),                                   // LeftBottom: to be turned 90° anticlockwise
                };
                Array.Copy(stored.Pixels, (sy * w + sx) * 3, pixels, (y * outW + x) * 3, 3);
            }
        return new RgbImage(outW, outH, pixels);
    }
}
