using RefineWeb.Engine.Models;
using RefineWeb.Engine.Pipelines.Semantic;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Schedulers;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Cascade;

/// <summary>
/// How one stage is sampled: steps, guidance, sampler, and for a refiner where it starts (null: the stage's
/// <see cref="StageConfig.RefinerStartStrength"/>).
/// </summary>
public sealed record StageSamplingSettings(int Steps, double GuidanceScale, SamplerKind Sampler = SamplerKind.DpmSolverPlusPlus2M, double Eta = 0.0, double? Strength = null);

/// <summary>
/// Masked refinement at one stage (RePaint, Lugmayr et al. 2022): where <see cref="Keep"/> is 1 the picture is
/// <see cref="Image"/>, re-imposed at every step noised to the step's timestep, so the new content (where Keep is 0)
/// blends with fixed surroundings. Sampling starts from Image noised to <see cref="Strength"/> of the schedule.
/// </summary>
/// <param name="Image">[B, 3, r, r] in [-1, 1] at the stage's resolution.</param>
/// <param name="Keep">[B, 1, r, r], 1 = keep Image, 0 = re-refine.</param>
public sealed record KnownRegion(Tensor Image, Tensor Keep, double Strength);

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
    /// <param name="known">Masked refinement: the region to keep (null: generate everything).</param>
    /// <param name="emphasis">Emphasized words: token re-weighting and semantic guidance (null: none).</param>
    public static Tensor Run(DiffusionStage stage, Tensor tokens, Tensor? lowerStage, IReadOnlyList<Generator> generators,
        StageSamplingSettings settings, Action<int, int, Tensor>? onStep = null, CancellationToken cancellation = default, KnownRegion? known = null,
        StageEmphasis? emphasis = null)
    {
        var config = stage.Config;
        int batch = generators.Count, resolution = config.Resolution;
        var device = tokens.device;
        if (tokens.shape[0] != 2 * batch) throw new ArgumentException($"Expected {2 * batch} token rows (cond then uncond), got {tokens.shape[0]}.");
        var schedule = config.Schedule.Create();
        using var sampler = SamplerFactory.Create(settings.Sampler, schedule, settings.Eta, clipSample: !config.DenoisesResidual);
        double strength = known?.Strength ?? (config.UNet.IsRefiner ? settings.Strength ?? config.RefinerStartStrength : 1.0);
        sampler.SetTimesteps(settings.Steps, strength);

        // Guidance 1 is the conditional prediction alone: one network pass per step over the conditional half.
        bool guided = settings.GuidanceScale != 1;
        var conditional = guided ? tokens : tokens.narrow(0, 0, batch);
        var tokenWeights = guided ? emphasis?.TokenWeights : emphasis?.TokenWeights?.narrow(0, 0, batch);
        int passes = guided ? 2 : 1;
        var text = stage.EncodeText(conditional);
        var x = PerItemNoise(generators, [3, resolution, resolution], device);

        Tensor? lowResolution = null, noiseLevel = null, upsampled = null;
        if (config.UNet.IsRefiner)
        {
            if (lowerStage is null) throw new InvalidOperationException($"Stage '{config.Name}' is a refiner and needs the images of the stage below.");
            upsampled = UpsampleForRefiner(lowerStage, resolution);
            var levels = ScalarArguments.FullOf([batch], config.LowResolutionNoiseLevel, ScalarType.Int64, device);
            var augmented = schedule.AddNoise(upsampled, PerItemNoise(generators, [3, resolution, resolution], device), levels);
            lowResolution = guided ? cat([augmented, augmented], 0) : augmented;
            noiseLevel = guided ? cat([levels, levels], 0) : levels;
            if (strength < 1) // start from the coarse picture (a zero residual), noised to the first planned timestep
                x = schedule.AddNoise(config.DenoisesResidual ? zeros_like(upsampled) : upsampled, x, ScalarArguments.FullOf([batch], sampler.Timesteps[0], ScalarType.Int64, device));
        }
        // What the stage denoises, as an image, and back.
        Tensor AsImage(Tensor denoised) => config.DenoisesResidual ? (upsampled! + denoised / config.ResidualScale).ClampTo(-1, 1) : denoised;
        Tensor AsDenoised(Tensor image) => config.DenoisesResidual ? (image - upsampled!) * config.ResidualScale : image;

        Tensor? knownDenoised = null, keep = null;
        if (known is not null)
        {
            knownDenoised = AsDenoised(known.Image.to(device));
            keep = known.Keep.to(device);
            if (strength < 1) x = schedule.AddNoise(knownDenoised, PerItemNoise(generators, [3, resolution, resolution], device),
                ScalarArguments.FullOf([batch], sampler.Timesteps[0], ScalarType.Int64, device));
        }

        for (int i = 0; i < sampler.Timesteps.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var stepScope = NewDisposeScope();
            var timesteps = ScalarArguments.FullOf([passes * batch], sampler.Timesteps[i], ScalarType.Int64, device);
            var output = DenoiseFinite(stage, new DenoiserInput(guided ? cat([x, x], 0) : x, timesteps, text, lowResolution, noiseLevel, tokenWeights));
            var combined = guided ? ClassifierFreeGuidance.CombineBatch(output, settings.GuidanceScale) : output;
            if (emphasis?.Guide is { } guide)
            {
                // SeReDiff: move the step's clean-image estimate along the semantic-induced gradient and hand the
                // sampler the output that predicts the moved estimate. The move shrinks with the noise variance
                // (sigma_t^2): early steps, which settle colour and layout, steer; late ones, which would only add
                // pixel patterns the scorer likes, barely do (measured: same phrase gain, far less prompt loss than sigma_t).
                int t = sampler.Timesteps[i];
                var (original, _) = schedule.Split(combined, t, x);
                var image = config.DenoisesResidual ? upsampled! + original / config.ResidualScale : original;
                double sigma = schedule.NoiseScale(t);
                var moved = image + guide.Gradient(image) * (guide.Scale * emphasis.GuideFactor * sigma * sigma);
                combined = where(guide.Active, schedule.OutputFor(AsDenoised(moved), t, x), combined);
            }
            var step = sampler.Step(combined, i, x, generators[0]);
            var next = step.PreviousSample;
            var estimate = step.PredictedOriginal;
            if (known is not null)
            {
                // Outside the region, the known picture at the next step's noise level (clean after the last step).
                var knownNext = i + 1 < sampler.Timesteps.Count
                    ? schedule.AddNoise(knownDenoised!, PerItemNoise(generators, [3, resolution, resolution], device), ScalarArguments.FullOf([batch], sampler.Timesteps[i + 1], ScalarType.Int64, device))
                    : knownDenoised!;
                next = keep! * knownNext + (1 - keep!) * next;
                estimate = keep! * knownDenoised! + (1 - keep!) * estimate;
            }
            onStep?.Invoke(i, sampler.Timesteps.Count, AsImage(estimate));
            var old = x;
            x = next.MoveToOuterDisposeScope();
            old.Dispose();
        }
        return AsImage(x);
    }

    static long nonFinitePasses;

    /// <summary>Denoiser passes that came back with NaN or infinity and were run again without oneDNN, since the process started.</summary>
    public static long NonFinitePasses => Interlocked.Read(ref nonFinitePasses);

    /// <summary>
    /// One denoiser pass whose output is finite. oneDNN's AVX-512 convolutions returned NaN now and then on the
    /// machines measured here (1 in 20 full cascades, at refiner128 or refiner256); <see cref="Runtime.TorchRuntime"/>
    /// caps oneDNN at AVX2, which ended it (0 in 60). Should a pass still come back non-finite (another CPU, another
    /// libtorch), it runs again on libtorch's own convolution, equal up to float rounding; still non-finite is an error.
    /// </summary>
    static Tensor DenoiseFinite(DiffusionStage stage, DenoiserInput input)
    {
        var output = stage.Denoise(input);
        if (output.isfinite().all().item<bool>()) return output;
        output.Dispose();
        Interlocked.Increment(ref nonFinitePasses);
        bool oneDnn = Runtime.TorchRuntime.OneDnnConvolutions;
        Runtime.TorchRuntime.OneDnnConvolutions = false;
        try
        {
            output = stage.Denoise(input);
        }
        finally
        {
            Runtime.TorchRuntime.OneDnnConvolutions = oneDnn;
        }
        if (!output.isfinite().all().item<bool>())
            throw new InvalidOperationException($"Stage '{stage.Config.Name}' returned non-finite values, with and without oneDNN.");
        return output;
    }

    /// <summary>The refiner's view of the stage below: bicubic upsampling to its resolution, clamped to the image range.</summary>
    public static Tensor UpsampleForRefiner(Tensor lower, int resolution) =>
        nn.functional.interpolate(lower, [resolution, resolution], mode: InterpolationMode.Bicubic, align_corners: false).ClampTo(-1, 1);

    /// <summary>Noise drawn from each item's own generator, so an image depends on its seed alone, not on its batch.</summary>
    public static Tensor PerItemNoise(IReadOnlyList<Generator> generators, long[] shape, Device device) =>
        stack(generators.Select(g => randn(shape, generator: g, device: device)).ToArray(), 0);
}
