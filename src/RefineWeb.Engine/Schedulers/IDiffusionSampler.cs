using static TorchSharp.torch;

namespace RefineWeb.Engine.Schedulers;

/// <summary>
/// A reverse-process sampler in the shape of diffusers' schedulers: <see cref="SetTimesteps"/>, then one
/// <see cref="Step"/> per network call. Pure math over tensors; samplers keep no tensors of a previous step unless
/// their method needs them (multistep solvers), and then own and dispose them.
/// </summary>
public interface IDiffusionSampler : IDisposable
{
    NoiseSchedule Schedule { get; }

    /// <summary>The timesteps of this run, noisiest first.</summary>
    IReadOnlyList<int> Timesteps { get; }

    /// <summary>Plans <paramref name="steps"/> steps; <paramref name="strength"/> &lt; 1 starts part-way (image-to-image).</summary>
    void SetTimesteps(int steps, double strength = 1.0);

    /// <summary>Advances from <see cref="Timesteps"/>[<paramref name="index"/>] to the next timestep (or to clean).</summary>
    SamplerStep Step(Tensor modelOutput, int index, Tensor sample, Generator? generator = null);
}
