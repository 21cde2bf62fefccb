using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Runtime;

public class SmokeTests
{
    [Fact]
    public void Conv_net_forward_and_backward_run()
    {
        using var scope = NewDisposeScope();
        var conv = nn.Conv2d(3, 8, 3, padding: 1);
        var x = randn(2, 3, 16, 16);
        var loss = conv.call(x).Power(2).mean();
        loss.backward();
        Assert.Equal(new long[] { 8, 3, 3, 3 }, conv.weight!.grad!.shape);
        Assert.True(conv.weight.grad.abs().sum().item<float>() > 0);
    }
}
