using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Schedulers;

/// <summary>
/// Classifier-free guidance (Ho and Salimans 2022): out = uncond + s (cond - uncond). The batch is laid out as
/// [conditional; unconditional] halves so that one forward pass serves both.
/// </summary>
public static class ClassifierFreeGuidance
{
    public static Tensor Combine(Tensor conditional, Tensor unconditional, double scale) =>
        unconditional.Plus((conditional - unconditional).Times(scale));

    /// <summary>Splits a doubled batch [cond; uncond] and combines it.</summary>
    public static Tensor CombineBatch(Tensor doubled, double scale)
    {
        using var scope = NewDisposeScope();
        var halves = doubled.chunk(2, 0);
        return Combine(halves[0], halves[1], scale).MoveToOuterDisposeScope();
    }
}
