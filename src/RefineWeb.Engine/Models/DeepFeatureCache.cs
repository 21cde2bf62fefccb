using static TorchSharp.torch;

namespace RefineWeb.Engine.Models;

/// <summary>
/// DeepCache (Ma et al. 2023) for one U-Net over one run of steps: a full pass keeps the deep branch's output (what
/// enters the finest up level), and a pass asked to <see cref="Reuse"/> it computes only the finest level down and up
/// around it: adjacent steps change the deep, coarse features little. Holds one tensor, which it disposes.
/// </summary>
public sealed class DeepFeatureCache : IDisposable
{
    Tensor? features;

    /// <summary>Whether the next pass takes the kept deep features instead of computing (and keeping) new ones.</summary>
    public bool Reuse { get; set; }

    /// <summary>The kept features when they fit a pass of <paramref name="rows"/> rows, else null (that pass runs in full).</summary>
    internal Tensor? For(long rows) => Reuse && features is { } kept && kept.shape[0] == rows ? kept : null;

    internal void Keep(Tensor deep)
    {
        var kept = deep.detach().DetachFromDisposeScope(); // outlives the step's scope on purpose: the next steps read it
        features?.Dispose();
        features = kept;
    }

    public void Dispose() => features?.Dispose();
}
