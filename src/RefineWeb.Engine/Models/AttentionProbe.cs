using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Models;

/// <summary>
/// Listens to a U-Net's cross-attention (DAAM-style): every cross-attention layer it passes through adds its
/// probabilities, averaged over heads, as one map per text token, brought to one resolution and summed; the mean over
/// layers and passes is where each word's attention lands. Only for passes without gradients; disposes its own tensor.
/// </summary>
public sealed class AttentionProbe(int resolution) : IDisposable
{
    Tensor? sum;
    int layers;

    public int Resolution { get; } = resolution;

    /// <summary>One layer's attention: <paramref name="probabilities"/> [B, heads, H*W, L] over a <paramref name="height"/> x <paramref name="width"/> map.</summary>
    public void Record(Tensor probabilities, long height, long width)
    {
        using var scope = NewDisposeScope();
        long batch = probabilities.shape[0], tokens = probabilities.shape[3];
        var maps = probabilities.detach().mean([1]).transpose(1, 2).reshape(batch, tokens, height, width);
        if (height != Resolution || width != Resolution)
            maps = nn.functional.interpolate(maps, [Resolution, Resolution], mode: InterpolationMode.Bilinear, align_corners: false);
        var total = sum is null ? maps.clone() : sum.Plus(maps);
        sum?.Dispose();
        sum = total.DetachFromDisposeScope();
        layers++;
    }

    /// <summary>[B, L, r, r]: each token's mean attention per position, or null before any layer was heard.</summary>
    public Tensor? Maps() => sum?.Over(layers);

    public void Dispose() => sum?.Dispose();
}
