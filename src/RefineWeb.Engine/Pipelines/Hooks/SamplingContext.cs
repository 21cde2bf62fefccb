using RefineWeb.Engine.Models;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Schedulers;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Hooks;

/// <summary>What a <see cref="IStepHook"/> may read of the stage being sampled: its schedule, planned timesteps and noise sources.</summary>
public sealed class SamplingContext(StageConfig config, NoiseSchedule schedule, IReadOnlyList<int> timesteps, IReadOnlyList<Generator> generators,
    Device device, Tensor? upsampled)
{
    public StageConfig Config { get; } = config;
    public NoiseSchedule Schedule { get; } = schedule;
    /// <summary>The sampler's planned timesteps, first to last.</summary>
    public IReadOnlyList<int> Timesteps { get; } = timesteps;
    public int Batch => generators.Count;
    public int Resolution => Config.Resolution;

    /// <summary>Fresh noise [B, 3, r, r], each row from its item's own generator (so a picture depends on its seed alone).</summary>
    public Tensor Noise() => Cascade.StageSampling.PerItemNoise(generators, [3, Resolution, Resolution], device);

    /// <summary>[B] copies of timestep <paramref name="t"/>.</summary>
    public Tensor TimestepsOf(int t) => ScalarArguments.FullOf([Batch], t, ScalarType.Int64, device);

    /// <summary>What the stage denoises (a residual over the upsampled picture, or the picture), as a picture in [-1, 1].</summary>
    public Tensor AsImage(Tensor denoised) => Config.DenoisesResidual ? upsampled!.Plus(denoised.Over(Config.ResidualScale)).ClampTo(-1, 1) : denoised;

    /// <summary>A picture as what the stage denoises (the inverse of <see cref="AsImage"/> inside the image range).</summary>
    public Tensor AsDenoised(Tensor image) => Config.DenoisesResidual ? (image - upsampled!).Times(Config.ResidualScale) : image;

    /// <summary>A clean estimate of what the stage denoises as a picture, unclamped (the guidance's view).</summary>
    public Tensor AsImageUnclamped(Tensor denoised) => Config.DenoisesResidual ? upsampled!.Plus(denoised.Over(Config.ResidualScale)) : denoised;
}
