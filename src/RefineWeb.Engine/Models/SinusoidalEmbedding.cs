using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Models;

/// <summary>Transformer-style sinusoidal features of a scalar per batch item (timestep or noise level).</summary>
public static class SinusoidalEmbedding
{
    /// <summary>[B] values to [B, width]: sin and cos at geometric frequencies from 1 to 1/10000.</summary>
    public static Tensor Of(Tensor values, int width)
    {
        int half = width / 2;
        var frequencies = exp(ScalarArguments.Range(0, half, ScalarType.Float32, values.device).Times(-Math.Log(10000.0) / half));
        var angles = values.to(ScalarType.Float32).unsqueeze(1) * frequencies.unsqueeze(0);
        return cat([angles.sin(), angles.cos()], 1);
    }
}
