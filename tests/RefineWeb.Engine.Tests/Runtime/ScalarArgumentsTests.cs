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

    // TorchSharp's own operators, on purpose: the helpers must make the bytes they make.
#pragma warning disable RS0030
    [Fact]
    public void Arithmetic_makes_the_bytes_torchsharps_operators_make()
    {
        using var scope = NewDisposeScope();
        var generator = new TorchSharp.torch.Generator(7);
        var a = randn([3, 5], generator: generator);
        var b = randn([3, 5], generator: generator).abs().Plus(0.5);
        Assert.Equal(Values(a + b), Values(a.Plus(b)));
        Assert.Equal(Values(a + 0.25), Values(a.Plus(0.25)));
        Assert.Equal(Values(a - 0.25), Values(a.Minus(0.25)));
        Assert.Equal(Values(1 - a), Values(a.SubtractedFrom(1)));
        Assert.Equal(Values(a * 0.3), Values(a.Times(0.3)));
        Assert.Equal(Values(a / 127.5), Values(a.Over(127.5)));
        Assert.Equal(Values(1.0 / b), Values(b.DividedInto(1.0)));
        Assert.Equal(Values(a.square()), Values(a.Power(2)));
        var c = a.clone();
        c.add_(b);
        Assert.Equal(Values(c), Values(a.clone().PlusInPlace(b)));
    }
#pragma warning restore RS0030

    [Fact]
    public void Arithmetic_stays_right_while_finalizers_run_beside_it()
    {
        // Collections and finalizers on another thread, as a busy server has: a Scalar left to the finalizer can be
        // freed while libtorch reads it. TorchSharp's own operators here, 2 - ((a + b) * 0.5 - 0.25), threw
        // "Expected false to be true" from c10::Scalar::toFloat after 77 000-101 000 steps in each of 3 runs.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        });
        collector.Start();
        using var a = ones(64);
        using var b = ones(64);
        int wrong = 0, steps = 0;
        Exception? thrown = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                using var scope = NewDisposeScope();
                var x = a.Plus(b).Times(0.5).Minus(0.25).SubtractedFrom(2);
                if (x.sum().item<float>() != 64 * 1.25f) wrong++;
                steps++;
            }
        }
        catch (Exception e)
        {
            thrown = e;
        }
        collector.Join();
        Assert.True(thrown is null && wrong == 0, $"{steps} steps, {wrong} wrong, {thrown?.Message.Split('\n')[0]}");
    }
}
