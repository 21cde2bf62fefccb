using RefineWeb.Engine.Models;
using RefineWeb.Engine.Profiling;
using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Profiling;

public sealed class FlopCounterTests
{
    [Fact]
    public void A_convolution_and_a_linear_layer_count_two_flops_per_weight_per_output_position()
    {
        using var conv = nn.Conv2d(3, 8, 3, padding: 1);
        using var linear = nn.Linear(8, 4);
        using var input = zeros(2, 3, 16, 16);
        using var rows = zeros(2, 5, 8);
        // 8 x 3 x 3 x 3 weights, 2 images of 16 x 16 outputs: 2 x 216 x 512.
        Assert.Equal(new FlopCount(221_184, 0, 0), FlopCounter.Count(conv, () => conv.call(input).Dispose()));
        // 8 x 4 weights over 2 x 5 rows: 2 x 32 x 10.
        Assert.Equal(new FlopCount(0, 640, 0), FlopCounter.Count(linear, () => linear.call(rows).Dispose()));
        // A strided convolution has a quarter of the output positions.
        using var strided = nn.Conv2d(3, 8, 3, stride: 2, padding: 1);
        Assert.Equal(221_184 / 4.0, FlopCounter.Count(strided, () => strided.call(input).Dispose()).Convolution);
    }

    [Fact]
    public void Attention_counts_its_projections_and_both_matmuls()
    {
        using var attention = new Attention("attention", queryWidth: 8, contextWidth: 6, heads: 2);
        using var x = zeros(1, 4, 8);
        using var context = zeros(1, 3, 6);
        var count = FlopCounter.Count(attention, () => attention.call(x, context, null).Dispose());
        // Projections: q 2 x 64 x 4, k and v 2 x 48 x 3 each, out 2 x 64 x 4 = 512 + 288 + 288 + 512.
        Assert.Equal(1_600, count.Linear);
        // Scores 1 x 4 x 3 x 8 multiply-adds, weighted values the same: 4 x 4 x 3 x 8.
        Assert.Equal(384, count.Attention);
        Assert.Equal(1_984, count.Total);
    }

    [Fact]
    public void Hooks_are_removed_after_counting()
    {
        using var linear = nn.Linear(8, 4);
        using var rows = zeros(1, 8);
        var first = FlopCounter.Count(linear, () => linear.call(rows).Dispose());
        var second = FlopCounter.Count(linear, () => linear.call(rows).Dispose());
        Assert.Equal(first, second); // a hook left behind would count the second pass twice
        Assert.Equal(64, second.Linear);
    }
}
