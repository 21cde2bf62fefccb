using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Runtime;

public class ScalarArgumentsTests
{
    static float[] Values(Tensor x) => x.to(ScalarType.Float32).data<float>().ToArray();

    [Fact]
    public void Clamps_bound_the_values()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { -2f, -0.5f, 0.25f, 3f });
        Assert.Equal([-1f, -0.5f, 0.25f, 1f], Values(x.ClampTo(-1, 1)));
        Assert.Equal([0f, 0f, 0.25f, 3f], Values(x.AtLeast(0)));
        Assert.Equal([-2f, -0.5f, 0.25f, 0.5f], Values(x.AtMost(0.5)));
    }

    [Fact]
    public void Comparisons_and_masked_fill_follow_libtorch()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { -1f, 0f, 2f });
        Assert.Equal([0f, 0f, 1f], Values(x.GreaterThan(0)));
        Assert.Equal([1f, 0f, 0f], Values(x.LessThan(-0.5)));
        Assert.Equal([1f, 0f, 1f], Values(tensor(new long[] { 4, 0, 7 }).NotEqualTo(0)));
        Assert.Equal([float.NegativeInfinity, 0f, 2f], Values(x.MaskedFill(x.LessThan(0), double.NegativeInfinity)));
    }

    [Fact]
    public void Factories_make_the_requested_shape_type_and_values()
    {
        using var scope = NewDisposeScope();
        var steps = ScalarArguments.FullOf([3], 999, ScalarType.Int64, CPU);
        Assert.Equal(ScalarType.Int64, steps.dtype);
        Assert.Equal([999L, 999L, 999L], steps.data<long>().ToArray());

        var range = ScalarArguments.Range(2, 6, ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, range.dtype);
        Assert.Equal([2.0, 3.0, 4.0, 5.0], range.data<double>().ToArray());

        var filled = empty(2, 2).Fill(1.5);
        Assert.Equal([1.5f, 1.5f, 1.5f, 1.5f], Values(filled));
    }
}
