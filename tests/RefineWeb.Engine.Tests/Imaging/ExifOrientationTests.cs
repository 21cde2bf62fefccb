using RefineWeb.Engine.Imaging;
using SkiaSharp;

namespace RefineWeb.Engine.Tests.Imaging;

public sealed class ExifOrientationTests
{
    // 3x2, one grey level per pixel (R=G=B):  1 2 3
    //                                         4 5 6
    static readonly RgbImage Stored = new(3, 2, [.. new byte[] { 1, 2, 3, 4, 5, 6 }.SelectMany(v => new[] { v, v, v })]);


    [Theory]
    [InlineData(SKEncodedOrigin.TopLeft, 3, 2, new byte[] { 1, 2, 3, 4, 5, 6 })]
    [InlineData(SKEncodedOrigin.TopRight, 3, 2, new byte[] { 3, 2, 1, 6, 5, 4 })]
    [InlineData(SKEncodedOrigin.BottomRight, 3, 2, new byte[] { 6, 5, 4, 3, 2, 1 })]
    [InlineData(SKEncodedOrigin.BottomLeft, 3, 2, new byte[] { 4, 5, 6, 1, 2, 3 })]
    [InlineData(SKEncodedOrigin.LeftTop, 2, 3, new byte[] { 1, 4, 2, 5, 3, 6 })]
    [InlineData(SKEncodedOrigin.RightTop, 2, 3, new byte[] { 4, 1, 5, 2, 6, 3 })]    // turned clockwise
    [InlineData(SKEncodedOrigin.RightBottom, 2, 3, new byte[] { 6, 3, 5, 2, 4, 1 })]
    [InlineData(SKEncodedOrigin.LeftBottom, 2, 3, new byte[] { 3, 6, 2, 5, 1, 4 })]  // turned anticlockwise
    public void Each_exif_orientation_turns_the_stored_pixels_upright(SKEncodedOrigin origin, int width, int height, byte[] levels)
    {
        var upright = ExifOrientation.Upright(Stored, origin);
        Assert.Equal((width, height), (upright.Width, upright.Height));
        Assert.Equal(levels, upright.Pixels.Where((_, i) => i % 3 == 0));
    }
}
