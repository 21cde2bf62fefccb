using RefineWeb.Engine.Imaging;
using RefineWeb.Generation;

namespace RefineWeb.Tests.Generation;

public sealed class UploadFittingTests
{
    /// <summary>A 4x2 picture whose pixel (x, y) is (x, y, 7).</summary>
    static RgbImage Wide() => new(4, 2, [.. Enumerable.Range(0, 8).SelectMany(p => new[] { (byte)(p % 4), (byte)(p / 4), (byte)7 })]);

    static byte[] Pixel(RgbImage image, int x, int y) => image.Pixels.AsSpan(3 * (y * image.Width + x), 3).ToArray();

    [Fact]
    public void Crop_keeps_the_middle_square()
    {
        var square = UploadFitting.Apply(Wide(), UploadFit.Crop);
        Assert.Equal((2, 2), (square.Width, square.Height));
        Assert.Equal([1, 0, 7], Pixel(square, 0, 0));
        Assert.Equal([2, 1, 7], Pixel(square, 1, 1));
    }

    [Fact]
    public void Pad_centres_the_picture_on_white()
    {
        var square = UploadFitting.Apply(Wide(), UploadFit.Pad);
        Assert.Equal((4, 4), (square.Width, square.Height));
        Assert.Equal([255, 255, 255], Pixel(square, 0, 0)); // the row above the picture
        Assert.Equal([0, 0, 7], Pixel(square, 0, 1));
        Assert.Equal([3, 1, 7], Pixel(square, 3, 2));
        Assert.Equal([255, 255, 255], Pixel(square, 3, 3));

        var tall = new RgbImage(1, 3, [1, 1, 1, 2, 2, 2, 3, 3, 3]);
        var padded = UploadFitting.Apply(tall, UploadFit.Pad);
        Assert.Equal([255, 255, 255, 2, 2, 2, 255, 255, 255], padded.Pixels.AsSpan(9, 9).ToArray()); // the middle row: white, the picture, white
    }

    [Fact]
    public void Keep_and_square_pictures_are_left_as_they_are()
    {
        var wide = Wide();
        Assert.Same(wide, UploadFitting.Apply(wide, UploadFit.Keep));
        var square = new RgbImage(2, 2, new byte[12]);
        Assert.Same(square, UploadFitting.Apply(square, UploadFit.Crop));
    }

    [Theory]
    [InlineData(null, UploadFit.Keep)]
    [InlineData("", UploadFit.Keep)]
    [InlineData("crop", UploadFit.Crop)]
    [InlineData(" PAD ", UploadFit.Pad)]
    [InlineData("stretch", null)]
    public void The_fit_field_is_read_or_refused(string? value, UploadFit? expected) => Assert.Equal(expected, UploadFitting.Parse(value));
}
