using RefineWeb.Engine.Imaging;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Imaging;

public sealed class GreyscaleViewTests
{
    [Fact]
    public void The_colour_blind_view_is_luma_in_every_channel()
    {
        using var scope = NewDisposeScope();
        var image = tensor(new float[] { 1, -1, 0.5f, -1, 1, 0.5f, -1, -1, 0.5f }, [1, 3, 1, 3]); // red, green, grey
        var grey = GreyscaleView.Of(image);
        Assert.Equal(new long[] { 1, 3, 1, 3 }, grey.shape);
        var values = grey.data<float>().ToArray();
        Assert.Equal(0.299 - 0.587 - 0.114, values[0], 5);
        Assert.Equal(-0.299 + 0.587 - 0.114, values[1], 5);
        Assert.Equal(0.5, values[2], 5);
        Assert.Equal(values[..3], values[3..6]);
        Assert.Equal(values[..3], values[6..9]);
    }

}
