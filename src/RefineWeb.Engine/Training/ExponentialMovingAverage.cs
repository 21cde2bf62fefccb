using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Training;

/// <summary>
/// A shadow copy of a module's floating-point state (parameters and buffers), updated after every optimizer step as
/// shadow = d * shadow + (1 - d) * weights, with d warming up as min(decay, (1 + n) / (10 + n)) so that short runs
/// are not dominated by the initial weights. The shadow is what ships.
/// </summary>
public sealed class ExponentialMovingAverage : IDisposable
{
    readonly Dictionary<string, Tensor> shadow;

    public double Decay { get; }

    public ExponentialMovingAverage(nn.Module module, double decay)
    {
        if (decay is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(decay), "EMA decay must be in [0, 1).");
        Decay = decay;
        shadow = module.state_dict().Where(kv => kv.Value.is_floating_point())
            .ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
    }

    public IReadOnlyDictionary<string, Tensor> Shadow => shadow;

    /// <summary>Blends the module's current weights into the shadow; <paramref name="updates"/> counts updates so far.</summary>
    public void Update(nn.Module module, long updates)
    {
        double decay = Math.Min(Decay, (1.0 + updates) / (10.0 + updates));
        // Owned scalars, not implicit conversions: see AdamW for why.
        using Scalar keep = decay.ToScalar(), blend = (1 - decay).ToScalar();
        using var noGrad = no_grad();
        foreach (var (name, value) in module.state_dict())
            if (shadow.TryGetValue(name, out var average))
                average.mul_(keep).add_(value.detach(), alpha: blend);
    }

    /// <summary>Copies the shadow into <paramref name="module"/> (a module of the same shape).</summary>
    public void CopyTo(nn.Module module)
    {
        using var noGrad = no_grad();
        foreach (var (name, value) in module.state_dict())
            if (shadow.TryGetValue(name, out var average)) value.copy_(average);
    }

    /// <summary>Overwrites the shadow with saved values (resume).</summary>
    public void Restore(IReadOnlyDictionary<string, Tensor> saved)
    {
        using var noGrad = no_grad();
        foreach (var (name, average) in shadow)
        {
            if (!saved.TryGetValue(name, out var value)) throw new InvalidDataException($"The checkpoint has no EMA value for '{name}'.");
            average.copy_(value);
        }
    }

    public void Dispose()
    {
        foreach (var tensor in shadow.Values) tensor.Dispose();
    }
}
