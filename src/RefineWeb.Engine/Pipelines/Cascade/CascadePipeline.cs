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
            var tokens = Model.Tokenize(request.ConditionalThenUnconditional());
            Tensor? previous = null;
            for (int s = 0; s < stageCount; s++)
            {
                var stage = Model.Stages[s];
                int steps = request.StepsPerStage is { } perStage && s < perStage.Count ? perStage[s] : stage.Config.DefaultSteps;
                double guidance = request.GuidanceScale ?? stage.Config.DefaultGuidanceScale;
                using var stageScope = NewDisposeScope();
                int stageIndex = s;
                var settings = new StageSamplingSettings(steps, guidance, request.Sampler, request.Eta);
                var result = StageSampling.Run(stage, tokens, previous, generators, settings, onStep is null ? null : (i, total, estimate) =>
                    onStep(new StepPreview(stageIndex, stageCount, stage.Config.Name, stage.Config.Resolution, i + 1, total, estimate)), cancellation);
                previous = result.MoveToOuterDisposeScope();
            }
            return previous!.cpu().MoveToOuterDisposeScope();
        }
        finally
        {
            foreach (var generator in generators) generator.Dispose();
        }
    }
}
