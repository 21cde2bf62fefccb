using RefineWeb.Engine.Models;
using RefineWeb.Engine.Pipelines.Hooks;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Schedulers;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Cascade;

/// <summary>
/// How one stage is sampled: steps, guidance, sampler, and for a refiner where it starts (null: the stage's
/// <see cref="StageConfig.RefinerStartStrength"/>). <paramref name="DeepCacheInterval"/> above 1: DeepCache, a full
/// network pass every that many steps and the deep features reused in between (<see cref="DeepFeatureCache"/>).
/// </summary>
public sealed record StageSamplingSettings(int Steps, double GuidanceScale, SamplerKind Sampler = SamplerKind.DpmSolverPlusPlus2M, double Eta = 0.0, double? Strength = null,
    int DeepCacheInterval = 1);

/// <summary>
/// The denoising loop of one stage, shared by the cascade, the trainer's sample grids and the evaluation: from
/// per-item noise to images at the stage's resolution, with classifier-free guidance over a [cond; uncond] batch.
/// A refiner also gets the lower stage's images, upsampled and noised to its augmentation level.
/// </summary>
public static class StageSampling
{
    /// <param name="tokens">[2B, L]: B conditional captions, then B unconditional (negative) ones.</param>
    /// <param name="lowerStage">[B, 3, h, w] output of the stage below (refiners only).</param>
    /// <param name="onStep">Called after every step with (step index, step count, x0 estimate).</param>
    /// <param name="hooks">Extras called at fixed points of every step (RePaint's known region, semantic guidance), in order.</param>
    /// <param name="tokenWeights">Each token's share of cross-attention (emphasis), one row per row of <paramref name="tokens"/>; null: all 1.</param>
    /// <param name="regions">Prompts by region: <paramref name="tokens"/> is then [(R + 1 + N) B, L], the global prompt's B
    /// rows, each region's B rows, then N x B unconditional ones (N: <see cref="Regions.RegionalPrompts.Negatives"/>, 1 or
    /// one per prompt).</param>
    public static Tensor Run(DiffusionStage stage, Tensor tokens, Tensor? lowerStage, IReadOnlyList<Generator> generators,
        StageSamplingSettings settings, Action<int, int, Tensor>? onStep = null, CancellationToken cancellation = default,
        IReadOnlyList<IStepHook>? hooks = null, Tensor? tokenWeights = null, Regions.RegionalPrompts? regions = null)
    {
        var config = stage.Config;
        int batch = generators.Count, resolution = config.Resolution;
        var device = tokens.device;
        int prompts = regions?.Prompts ?? 1, negatives = regions?.Negatives ?? 1; // conditional and unconditional predictions per sample
        if (tokens.shape[0] != (prompts + negatives) * batch)
            throw new ArgumentException($"Expected {(prompts + negatives) * batch} token rows (cond then uncond), got {tokens.shape[0]}.");
        if (tokenWeights is not null && tokenWeights.shape[0] != tokens.shape[0])
            throw new ArgumentException($"Expected one row of token weights per token row ({tokens.shape[0]}), got {tokenWeights.shape[0]}.", nameof(tokenWeights));
        var schedule = config.Schedule.Create();
        using var sampler = SamplerFactory.Create(settings.Sampler, schedule, settings.Eta, clipSample: !config.DenoisesResidual);
        hooks ??= [];
        double strength = hooks.Select(h => h.StartStrength).FirstOrDefault(s => s is not null)
            ?? (config.UNet.IsRefiner ? settings.Strength ?? config.RefinerStartStrength : 1.0);
        sampler.SetTimesteps(settings.Steps, strength);

        // Guidance 1 is the conditional prediction alone: one network pass per step over the conditional half.
        bool guided = settings.GuidanceScale != 1;
        var conditional = guided ? tokens : tokens.narrow(0, 0, prompts * batch);
        tokenWeights = guided ? tokenWeights : tokenWeights?.narrow(0, 0, prompts * batch);
        int passes = prompts + (guided ? negatives : 0);
        var regionMasks = regions?.Masks(resolution, device);
        // A network with a layout channel hears where each region's prompt goes (null: the whole picture, every row).
        var layout = regions is not null && config.UNet.LayoutChannels > 0 ? regions.LayoutRows(resolution, batch, passes - prompts, device) : null;
        var text = stage.EncodeText(conditional);
        var start = Start(config, schedule, lowerStage, generators, sampler.Timesteps[0], strength, device);
        var x = start.Sample;
        Tensor? lowResolution = start.LowResolution is { } augmented && passes > 1 ? cat(Enumerable.Repeat(augmented, passes).ToArray(), 0) : start.LowResolution;
        Tensor? noiseLevel = start.NoiseLevel is { } levels && passes > 1 ? cat(Enumerable.Repeat(levels, passes).ToArray(), 0) : start.NoiseLevel;
        var upsampled = start.Upsampled;
        var context = new SamplingContext(config, schedule, sampler.Timesteps, generators, device, upsampled);
        foreach (var hook in hooks) x = hook.Begin(context, x);

        int timesPerStep = hooks.Select(h => h.TimesPerStep).DefaultIfEmpty(1).Max();
        using var deepCache = settings.DeepCacheInterval > 1 ? new DeepFeatureCache() : null;
        for (int i = 0; i < sampler.Timesteps.Count; i++)
        {
            if (deepCache is not null) deepCache.Reuse = i % settings.DeepCacheInterval != 0;
            // The last step is taken once: there is no noisier level left to resample from after it.
            int times = i + 1 < sampler.Timesteps.Count ? timesPerStep : 1;
            for (int time = 0; time < times; time++)
            {
                cancellation.ThrowIfCancellationRequested();
                using var stepScope = NewDisposeScope();
                var timesteps = ScalarArguments.FullOf([passes * batch], sampler.Timesteps[i], ScalarType.Int64, device);
                var output = FiniteForward.Run(() => stage.Denoise(new DenoiserInput(passes > 1 ? cat(Enumerable.Repeat(x, passes).ToArray(), 0) : x, timesteps, text, lowResolution, noiseLevel, tokenWeights,
                    DeepCache: deepCache, Layout: layout)),
                    $"Stage '{config.Name}'");
                var combined = regionMasks is not null ? Regions.RegionalPrompts.Blend(output, regionMasks, batch, settings.GuidanceScale, guided, regions!.Weights, negatives)
                    : guided ? ClassifierFreeGuidance.CombineBatch(output, settings.GuidanceScale) : output;
                foreach (var hook in hooks) combined = hook.BeforeSamplerStep(context, i, x, combined);
                var step = sampler.Step(combined, i, x, generators[0]);
                foreach (var hook in hooks) step = hook.AfterSamplerStep(context, i, step);
                var (next, estimate) = (step.PreviousSample, step.PredictedOriginal);
                if (time + 1 < times) next = NoiseBack(schedule, next, sampler.Timesteps[i + 1], sampler.Timesteps[i], generators, device);
                else onStep?.Invoke(i, sampler.Timesteps.Count, context.AsImage(estimate));
                var old = x;
                x = next.MoveToOuterDisposeScope();
                old.Dispose();
            }
        }
        return context.AsImage(x);
    }

    /// <summary>
    /// Where a stage's denoising starts, for one batch: per-item noise, and for a refiner the stage below upsampled
    /// (<paramref name="lowerStage"/>), its noised copy the U-Net sees with the noise level, and (<paramref name="strength"/>
    /// below 1) the sample noised from the coarse picture to <paramref name="firstTimestep"/>. The generators are drawn
    /// in one fixed order (the sample's noise, then the augmentation's), so an image depends on its seed alone.
    /// </summary>
    public static StageStart Start(StageConfig config, NoiseSchedule schedule, Tensor? lowerStage, IReadOnlyList<Generator> generators,
        int firstTimestep, double strength, Device device)
    {
        int batch = generators.Count, resolution = config.Resolution;
        var x = PerItemNoise(generators, [3, resolution, resolution], device);
        if (!config.UNet.IsRefiner) return new StageStart(x, null, null, null);
        if (lowerStage is null) throw new InvalidOperationException($"Stage '{config.Name}' is a refiner and needs the images of the stage below.");
        var upsampled = UpsampleForRefiner(lowerStage, resolution);
        var levels = ScalarArguments.FullOf([batch], config.LowResolutionNoiseLevel, ScalarType.Int64, device);
        var augmented = schedule.AddNoise(upsampled, PerItemNoise(generators, [3, resolution, resolution], device), levels);
        if (strength < 1) // start from the coarse picture (a zero residual), noised to the first planned timestep
            x = schedule.AddNoise(config.DenoisesResidual ? zeros_like(upsampled) : upsampled, x, ScalarArguments.FullOf([batch], firstTimestep, ScalarType.Int64, device));
        return new StageStart(x, upsampled, augmented, levels);
    }

    /// <summary>
    /// A sample at timestep <paramref name="from"/> noised forward to the noisier <paramref name="to"/>:
    /// q(x_to | x_from) = N(sqrt(a_to / a_from) x_from, (1 - a_to / a_from) I), a the cumulative alpha (RePaint's jump back).
    /// </summary>
    static Tensor NoiseBack(NoiseSchedule schedule, Tensor sample, int from, int to, IReadOnlyList<Generator> generators, Device device)
    {
        double ratio = schedule.AlphasCumprod[to] / (from < 0 ? 1.0 : schedule.AlphasCumprod[from]);
        return sample.Times(Math.Sqrt(ratio)).Plus(PerItemNoise(generators, [.. sample.shape.Skip(1)], device).Times(Math.Sqrt(1 - ratio)));
    }

    /// <summary>The refiner's view of the stage below: bicubic upsampling to its resolution, clamped to the image range.</summary>
    public static Tensor UpsampleForRefiner(Tensor lower, int resolution) =>
        nn.functional.interpolate(lower, [resolution, resolution], mode: InterpolationMode.Bicubic, align_corners: false).ClampTo(-1, 1);

    /// <summary>Noise drawn from each item's own generator, so an image depends on its seed alone, not on its batch.</summary>
    public static Tensor PerItemNoise(IReadOnlyList<Generator> generators, long[] shape, Device device) =>
        stack(generators.Select(g => randn(shape, generator: g, device: device)).ToArray(), 0);
}

/// <summary>
/// A stage's starting point for a batch: the sample [B, 3, r, r]; for a refiner the stage below upsampled, the noised
/// copy the U-Net sees and its noise level [B] (null for the base).
/// </summary>
public sealed record StageStart(Tensor Sample, Tensor? Upsampled, Tensor? LowResolution, Tensor? NoiseLevel);
