using RefineWeb.Engine.Models;
using RefineWeb.Engine.Pipelines.Semantic;
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
        int first = 0;
        if (request.StartImages is { } start)
        {
            first = StageAt((int)start.shape[^1]) + 1;
            if (first >= Model.Stages.Count) throw new ArgumentException($"A {start.shape[^1]} px picture is already at the model's largest size.", nameof(request));
            if (start.shape[0] != request.Seeds.Count) throw new ArgumentException("One start image per seed.", nameof(request));
        }

        using var noGrad = no_grad();
        using var runScope = NewDisposeScope();
        var generators = request.Seeds.Select(s => new Generator((ulong)s, Model.Device)).ToList();
        try
        {
            var tokens = Model.Tokenize(request.ConditionalThenUnconditional());
            using var emphasis = StageEmphasis.Create(Model, request.PromptsPerItem(), request.ItemEmphasis, request.SemanticGuidanceScale, request.ReweightTokens);
            Tensor? previous = request.StartImages?.to(Model.Device);
            for (int s = first; s < stageCount; s++)
            {
                var stage = Model.Stages[s];
                using var stageScope = NewDisposeScope();
                var result = StageSampling.Run(stage, tokens, previous, generators, Settings(stage, s, request.StepsPerStage, request.GuidanceScale, request.GuidancePerStage, request.Sampler, request.Eta),
                    Preview(onStep, s, stageCount - first, first), cancellation, emphasis: emphasis?.ForStage(Model, s));
                previous = result.MoveToOuterDisposeScope();
            }
            return previous!.cpu().MoveToOuterDisposeScope();
        }
        finally
        {
            foreach (var generator in generators) generator.Dispose();
        }
    }

    /// <summary>
    /// Re-refines the masked region of a picture; returns [1, 3, H, W] in [-1, 1] (on the CPU). Every stage up to the
    /// picture's resolution runs with the parent, resized to that stage, fixed outside the mask (RePaint); the mask
    /// is max-pooled to coarser stages so that a pixel the user painted is free at every scale. Outside the mask the
    /// result equals the parent up to float rounding; byte-exact preservation is the caller's composite
    /// (<see cref="Imaging.MaskCompositor"/>).
    /// </summary>
    public Tensor Refine(RefinementRequest request, Action<StepPreview>? onStep = null, CancellationToken cancellation = default)
    {
        if (request.Parent.dim() != 3 || request.Parent.shape[0] != 3 || request.Parent.shape[1] != request.Parent.shape[2])
            throw new ArgumentException("The parent must be a square [3, H, W] picture.", nameof(request));
        int size = (int)request.Parent.shape[2];
        int stageCount = StageAt(size) + 1;
        if (request.Mask.dim() != 2 || request.Mask.shape[0] != size || request.Mask.shape[1] != size)
            throw new ArgumentException($"The mask must be [{size}, {size}] like the parent.", nameof(request));
        if (request.Strength is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(request), "Strength must be in (0, 1].");

        using var noGrad = no_grad();
        using var runScope = NewDisposeScope();
        var generators = new List<Generator> { new((ulong)request.Seed, Model.Device) };
        try
        {
            var tokens = Model.Tokenize([request.Prompt, request.NegativePrompt]);
            using var emphasis = StageEmphasis.Create(Model, [request.Prompt], request.Emphasis is { } phrases ? [phrases] : null, request.SemanticGuidanceScale, reweightTokens: true);
            var parent = request.Parent.to(Model.Device).unsqueeze(0);
            var mask = (request.Mask.to(Model.Device) > 0).to(ScalarType.Float32).unsqueeze(0).unsqueeze(0);
            Tensor? previous = null;
            for (int s = 0; s < stageCount; s++)
            {
                var stage = Model.Stages[s];
                int resolution = stage.Config.Resolution;
                using var stageScope = NewDisposeScope();
                var known = new KnownRegion(
                    resolution == size ? parent : nn.functional.adaptive_avg_pool2d(parent, [resolution, resolution]),
                    1 - (resolution == size ? mask : nn.functional.adaptive_max_pool2d(mask, [resolution, resolution])),
                    request.Strength);
                var result = StageSampling.Run(stage, tokens, previous, generators, Settings(stage, s, request.StepsPerStage, request.GuidanceScale, request.GuidancePerStage, request.Sampler, 0),
                    Preview(onStep, s, stageCount, 0), cancellation, known, emphasis?.ForStage(Model, s));
                previous = result.MoveToOuterDisposeScope();
            }
            return previous!.cpu().MoveToOuterDisposeScope();
        }
        finally
        {
            foreach (var generator in generators) generator.Dispose();
        }
    }

    /// <summary>The index of the stage that works at <paramref name="resolution"/> px.</summary>
    public int StageAt(int resolution)
    {
        for (int s = 0; s < Model.Stages.Count; s++)
            if (Model.Stages[s].Config.Resolution == resolution) return s;
        throw new ArgumentException($"No stage works at {resolution} px; the model's sizes are {string.Join(", ", Model.Stages.Select(s => s.Config.Resolution))} px.");
    }

    static StageSamplingSettings Settings(DiffusionStage stage, int index, IReadOnlyList<int>? stepsPerStage, double? guidance,
        IReadOnlyList<double>? guidancePerStage, SamplerKind sampler, double eta) =>
        new(stepsPerStage is { } perStage && index < perStage.Count ? perStage[index] : stage.Config.DefaultSteps,
            guidancePerStage is { } stageGuidance && index < stageGuidance.Count ? stageGuidance[index] : guidance ?? stage.Config.DefaultGuidanceScale, sampler, eta);

    /// <summary>Stage-relative step callbacks as <see cref="StepPreview"/>s (stage numbers count the stages that run).</summary>
    Action<int, int, Tensor>? Preview(Action<StepPreview>? onStep, int stageIndex, int stagesRun, int firstStage)
    {
        if (onStep is null) return null;
        var config = Model.Stages[stageIndex].Config;
        return (i, total, estimate) => onStep(new StepPreview(stageIndex - firstStage, stagesRun, config.Name, config.Resolution, i + 1, total, estimate));
    }
}
