using RefineWeb.Engine.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Models;

/// <summary>Normalization layers with their affine parameters initialized.</summary>
public static class Normalization
{
    /// <summary>
    /// nn.GroupNorm with weight = 1 and bias = 0. TorchSharp 0.107 allocates GroupNorm's affine parameters without
    /// initializing them (whatever memory held: often NaN), unlike PyTorch; every GroupNorm here goes through this.
    /// </summary>
    public static GroupNorm Group(int groups, int channels)
    {
        var norm = nn.GroupNorm(groups, channels);
        using (no_grad())
        {
            norm.weight!.Fill(1);
            norm.bias!.zero_();
        }
        return norm;
    }
}
