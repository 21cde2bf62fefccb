using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Runtime;

/// <summary>
/// Tensor arithmetic with plain numbers, each handing libtorch a Scalar that stays alive until libtorch is done.
/// TorchSharp 0.107 converts a number to a Scalar implicitly, and its operators with a number (<c>x * 0.5</c>,
/// <c>1 - x</c>) and even <c>a + b</c> of two tensors (an alpha of 1) make one inside: none is disposed, so once
/// the call has read its handle the finalizer may free it while libtorch still reads it. Under garbage collection
/// from other threads that made a garbage scalar: wrong numbers, or "Expected false to be true" from
/// <c>c10::Scalar::toFloat</c> (seen as a rare engine failure on a busy machine, and in training once, in AdamW).
/// build/BannedSymbols.txt makes those calls build errors; these are what to write instead. Written here because no
/// TorchSharp release served here disposes them.
/// </summary>
public static class ScalarArguments
{
    /// <summary>1, for the alpha of an addition: held by this class for the life of the process, so never finalized
    /// (libtorch only reads a Scalar, so one shared across threads is safe).</summary>
    static readonly Scalar One = 1.ToScalar();

    /// <summary><c>a + b</c>.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>In place <c>x += value</c> for a Scalar the caller holds.</summary>
    public static Tensor PlusInPlace(this Tensor x, Scalar value) => x.add_(value, One);

    /// <summary>In place <c>a += b</c>.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary><c>x + value</c> (and <c>value + x</c>: the same sum).</summary>
    public static Tensor Plus(this Tensor x, double value) => With(value.ToScalar(), v => x.add(v, One));

    /// <summary><c>x - value</c>.</summary>
    public static Tensor Minus(this Tensor x, double value) => With(value.ToScalar(), x.sub);

    /// <summary><c>value - x</c>, as TorchSharp computes it (the negation plus the value).</summary>
    public static Tensor SubtractedFrom(this Tensor x, double value)
    {
        using var negated = x.negative();
        return With(value.ToScalar(), v => negated.add(v, One));
    }

    /// <summary><c>x * value</c> (and <c>value * x</c>).</summary>
    public static Tensor Times(this Tensor x, double value) => With(value.ToScalar(), x.mul);

    /// <summary><c>x / value</c>.</summary>
    public static Tensor Over(this Tensor x, double value) => With(value.ToScalar(), v => x.div(v));

    /// <summary><c>value / x</c>, as TorchSharp computes it (the reciprocal times the value).</summary>
    public static Tensor DividedInto(this Tensor x, double value)
    {
        using var reciprocal = x.reciprocal();
        return With(value.ToScalar(), reciprocal.mul);
    }

    /// <summary><c>x ** exponent</c> (<c>square()</c> is <c>pow(2)</c>).</summary>
    public static Tensor Power(this Tensor x, double exponent) => With(exponent.ToScalar(), x.pow);

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

    /// <summary><c>eq(value)</c>.</summary>
    public static Tensor EqualTo(this Tensor x, double value) => With(value.ToScalar(), x.eq);

    /// <summary><c>le(value)</c>: where the elements are at most <paramref name="value"/>.</summary>
    public static Tensor NotAbove(this Tensor x, double value) => With(value.ToScalar(), x.le);

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

    /// <summary><c>torch.full(shape, value)</c> of a floating type.</summary>
    public static Tensor Full(long[] shape, double value, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
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
