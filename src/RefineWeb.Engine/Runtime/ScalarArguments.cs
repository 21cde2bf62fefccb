using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Runtime;

/// <summary>
/// The tensor methods this engine calls with a plain number, each handing libtorch a Scalar it owns and disposes.
/// TorchSharp 0.107 converts a number to a Scalar implicitly and leaves that Scalar to the finalizer, which may free
/// it while libtorch still reads it (a training run died once in AdamW on a garbage scalar). TorchSharp's arithmetic
/// operators (<c>x * 0.5</c>) already dispose their own; these cover the methods that do not.
/// </summary>
public static class ScalarArguments
{
    /// <summary><c>clamp(min, max)</c>.</summary>
    public static Tensor ClampTo(this Tensor x, double min, double max)
    {
        using Scalar low = min.ToScalar(), high = max.ToScalar();
        return x.clamp(low, high);
    }

    /// <summary><c>clamp_min(min)</c>: every element at least <paramref name="min"/>.</summary>
    public static Tensor AtLeast(this Tensor x, double min) => With(min.ToScalar(), x.clamp_min);

    /// <summary><c>clamp_max(max)</c>: every element at most <paramref name="max"/>.</summary>
    public static Tensor AtMost(this Tensor x, double max) => With(max.ToScalar(), x.clamp_max);

    /// <summary><c>gt(value)</c>.</summary>
    public static Tensor GreaterThan(this Tensor x, double value) => With(value.ToScalar(), x.gt);

    /// <summary><c>lt(value)</c>.</summary>
    public static Tensor LessThan(this Tensor x, double value) => With(value.ToScalar(), x.lt);

    /// <summary><c>ne(value)</c>.</summary>
    public static Tensor NotEqualTo(this Tensor x, long value) => With(value.ToScalar(), x.ne);

    /// <summary><c>masked_fill(mask, value)</c>.</summary>
    public static Tensor MaskedFill(this Tensor x, Tensor mask, double value) => With(value.ToScalar(), v => x.masked_fill(mask, v));

    /// <summary>In place <c>fill_(value)</c>.</summary>
    public static Tensor Fill(this Tensor x, double value) => With(value.ToScalar(), x.fill_);

    /// <summary><c>torch.full(shape, value)</c> of an integer type (timesteps, noise levels).</summary>
    public static Tensor FullOf(long[] shape, long value, ScalarType dtype, Device device) =>
        With(value.ToScalar(), v => full(shape, v, dtype, device));

    /// <summary><c>torch.arange(start, stop)</c>: the integers in [start, stop) as <paramref name="dtype"/>.</summary>
    public static Tensor Range(long start, long stop, ScalarType dtype, Device? device = null)
    {
        using Scalar first = start.ToScalar(), end = stop.ToScalar(), step = 1L.ToScalar();
        return arange(first, end, step, dtype, device);
    }

    static Tensor With(Scalar scalar, Func<Scalar, Tensor> operation)
    {
        using (scalar) return operation(scalar);
    }
}
