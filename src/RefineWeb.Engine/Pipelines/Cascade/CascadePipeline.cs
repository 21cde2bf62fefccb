using RefineWeb.Engine.Models;
using RefineWeb.Engine.Schedulers;
using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Cascade;

/// <summary>
/// Text to image, coarse to fine (RefineNet's progressive refinement; Imagen-style cascade): the base stage samples
/// at its resolution from noise; each refiner doubles it, denoising from noise while it sees the stage below's result,
/// upsampled and noised to its augmentation level. Composes stages and samplers; computes nothing itself.
/// </summary>
public sealed class CascadePipeline(CascadeModel model)
{
    public CascadeModel Model { get; } = model;

    /// <summary>Runs the cascade and returns the final images [B, 3, H, W] in [-1, 1] (on the CPU).</summary>
    public Tensor Generate(CascadeRequest request, Action<StepPreview>? onStep = null, CancellationToken cancellation = default)
    {
        int stageCount = request.StageCount ?? Model.Stages.Count;
        if (stageCount < 1 || stageCount > Model.Stages.Count)
            throw new ArgumentOutOfRangeException(nameof(request), $"Stage count must be between 1 and {Model.Stages.Count}.");
        if (request.Seeds.Count == 0) throw new ArgumentException("At least one seed (one image) is needed.", nameof(request));

        using var noGrad = no_grad();
        using var runScope = NewDisposeScope();
        var generators = request.Seeds.Select(s => new Generator((ulong)s, Model.Device)).ToList();
        try
        {
            var tokens = Model.Tokenize([.. Enumerable.Repeat(request.Prompt, request.Seeds.Count), .. Enumerable.Repeat(request.NegativePrompt, request.Seeds.Count)]);
            Tensor? previous = null;
            for (int s = 0; s < stageCount; s++)
            {
                var stage = Model.Stages[s];
                int steps = request.StepsPerStage is { } perStage && s < perStage.Count ? perStage[s] : stage.Config.DefaultSteps;
                double guidance = request.GuidanceScale ?? stage.Config.DefaultGuidanceScale;
                using var stageScope = NewDisposeScope();
                var result = RunStage(stage, s, stageCount, tokens, previous, generators, request, steps, guidance, onStep, cancellation);
                previous = result.MoveToOuterDisposeScope();
            }
            return previous!.cpu().MoveToOuterDisposeScope();
        }
        finally
        {
            foreach (var generator in generators) generator.Dispose();
        }
    }

    Tensor RunStage(DiffusionStage stage, int index, int stageCount, Tensor tokens, Tensor? lowerStage, List<Generator> generators,
        CascadeRequest request, int steps, double guidance, Action<StepPreview>? onStep, CancellationToken cancellation)
    {
        var config = stage.Config;
        int batch = generators.Count, resolution = config.Resolution;
        var schedule = config.Schedule.Create();
        using var sampler = SamplerFactory.Create(request.Sampler, schedule, request.Eta);
        sampler.SetTimesteps(steps);

        var text = stage.EncodeText(tokens); // [cond x B; uncond x B]
        var x = PerItemNoise(generators, [3, resolution, resolution]);

        Tensor? lowResolution = null, noiseLevel = null;
        if (config.UNet.IsRefiner)
        {
            if (lowerStage is null) throw new InvalidOperationException($"Stage '{config.Name}' is a refiner and cannot come first.");
            var upsampled = nn.functional.interpolate(lowerStage, [resolution, resolution], mode: InterpolationMode.Bicubic, align_corners: false).clamp(-1, 1);
            var levels = full([batch], config.LowResolutionNoiseLevel, ScalarType.Int64, Model.Device);
            var augmented = schedule.AddNoise(upsampled, PerItemNoise(generators, [3, resolution, resolution]), levels);
            lowResolution = cat([augmented, augmented], 0);
            noiseLevel = cat([levels, levels], 0);
        }

        for (int i = 0; i < sampler.Timesteps.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var stepScope = NewDisposeScope();
            var timesteps = full([2 * batch], sampler.Timesteps[i], ScalarType.Int64, Model.Device);
            var output = stage.Denoise(new DenoiserInput(cat([x, x], 0), timesteps, text, lowResolution, noiseLevel));
            var guided = ClassifierFreeGuidance.CombineBatch(output, guidance);
            var step = sampler.Step(guided, i, x, generators[0]);
            onStep?.Invoke(new StepPreview(index, stageCount, config.Name, resolution, i + 1, sampler.Timesteps.Count, step.PredictedOriginal));
            var old = x;
            x = step.PreviousSample.MoveToOuterDisposeScope();
            old.Dispose();
        }
        return x;
    }

    /// <summary>Noise drawn from each item's own generator, so an image depends on its seed alone, not on its batch.</summary>
    Tensor PerItemNoise(List<Generator> generators, long[] shape) =>
        stack(generators.Select(g => randn(shape, generator: g, device: Model.Device)).ToArray(), 0);
}
