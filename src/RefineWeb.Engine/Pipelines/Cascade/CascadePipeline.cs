using RefineWeb.Engine.Models;
using RefineWeb.Engine.Pipelines.Hooks;
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

    /// <summary>
    /// Runs the cascade and returns the final images [B, 3, H, W] in [-1, 1] (on the CPU). Text to image by default;
    /// <see cref="CascadeRequest.StartImages"/> enters above the base (upscaling); <see cref="CascadeRequest.Region"/>
    /// re-refines a masked region of a picture with the stages up to its size (RePaint, as a step hook).
    /// </summary>
    public Tensor Generate(CascadeRequest request, Action<StepPreview>? onStep = null, CancellationToken cancellation = default)
    {
        if (request.Seeds.Count == 0) throw new ArgumentException("At least one seed (one image) is needed.", nameof(request));
        int first = 0;
        if (request.StartImages is { } start)
        {
            first = StageAt((int)start.shape[^1]) + 1;
            if (first >= Model.Stages.Count) throw new ArgumentException($"A {start.shape[^1]} px picture is already at the model's largest size.", nameof(request));
            if (start.shape[0] != request.Seeds.Count) throw new ArgumentException("One start image per seed.", nameof(request));
        }
        int stageCount = request.Region is { } region ? RegionStages(region, request.Seeds.Count) : request.StageCount ?? Model.Stages.Count;
        if (stageCount < 1 || stageCount > Model.Stages.Count)
            throw new ArgumentOutOfRangeException(nameof(request), $"Stage count must be between 1 and {Model.Stages.Count}.");

        using var noGrad = no_grad();
        using var runScope = NewDisposeScope();
        var generators = request.Seeds.Select(s => new Generator((ulong)s, Model.Device)).ToList();
        try
        {
            var tokens = Model.Tokenize(request.ConditionalThenUnconditional());
            var regions = request.Regions is { Count: > 0 } layout ? new Regions.RegionalPrompts(layout) : null;
            // A layout may refine a picture (the known region's hook holds the rest; the blend only mixes predictions). Its
            // emphasis (the global prompt's and each region's) re-weights each prompt's own rows of tokens; the semantic
            // gradient follows the global prompt's phrases over the whole picture.
            using var emphasis = StageEmphasis.Create(Model, request.PromptsPerItem(), request.ItemEmphasis, request.SemanticGuidanceScale,
                request.ReweightTokens && regions is null);
            using var regionTokenWeights = request.ReweightTokens ? regions?.TokenWeights(Model.Tokenizer, request.PromptsPerItem(), request.ItemEmphasis, Model.Device) : null;
            var known = request.Region is { } r ? KnownPicture.Of(r with { RefinerStrength = r.RefinerStrength ?? Model.Manifest.RegionRefinerStrength }, Model.Device) : null;
            Tensor? previous = request.StartImages?.to(Model.Device);
            for (int s = first; s < stageCount; s++)
            {
                var stage = Model.Stages[s];
                using var stageScope = NewDisposeScope();
                var stageEmphasis = emphasis?.ForStage(Model, s);
                List<IStepHook> hooks = [];
                if (known is not null) hooks.Add(known.AtResolution(s, stage.Config.Resolution));
                if (stageEmphasis?.Guide is { } guide) hooks.Add(new SemanticGuidanceHook(guide, stageEmphasis.GuideFactor));
                var result = StageSampling.Run(stage, tokens, previous, generators,
                    Settings(stage, s, request.StepsPerStage, request.GuidanceScale, request.GuidancePerStage, request.Sampler, request.Eta)
                        with { DeepCacheInterval = stage.Config.UNet.IsRefiner ? 1 : request.BaseDeepCacheInterval },
                    Preview(onStep, s, stageCount - first, first), cancellation, hooks, regionTokenWeights ?? stageEmphasis?.TokenWeights, regions);
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
    /// Re-refines the masked region of a picture; returns [1, 3, H, W] in [-1, 1] (on the CPU): <see cref="Generate"/>
    /// with the request's <see cref="CascadeRequest.Region"/>. Outside the mask the result equals the parent up to
    /// float rounding; byte-exact preservation is the caller's composite (<see cref="Imaging.MaskCompositor"/>).
    /// </summary>
    public Tensor Refine(RefinementRequest request, Action<StepPreview>? onStep = null, CancellationToken cancellation = default) =>
        Generate(new CascadeRequest
        {
            Prompt = request.Prompt, NegativePrompt = request.NegativePrompt, Seeds = [request.Seed], StepsPerStage = request.StepsPerStage,
            GuidanceScale = request.GuidanceScale, GuidancePerStage = request.GuidancePerStage, Sampler = request.Sampler,
            ItemEmphasis = request.Emphasis is { } phrases ? [phrases] : null, SemanticGuidanceScale = request.SemanticGuidanceScale,
            Region = new RepaintRegion(request.Parent, request.Mask, request.Strength),
        }, onStep, cancellation);

    /// <summary>The stages a region's refinement runs: every one up to the picture's resolution.</summary>
    int RegionStages(RepaintRegion region, int images)
    {
        var parent = region.Parent;
        if (parent.dim() != 3 || parent.shape[0] != 3 || parent.shape[1] != parent.shape[2])
            throw new ArgumentException("The parent must be a square [3, H, W] picture.", nameof(region));
        int size = (int)parent.shape[2];
        if (region.Mask.dim() != 2 || region.Mask.shape[0] != size || region.Mask.shape[1] != size)
            throw new ArgumentException($"The mask must be [{size}, {size}] like the parent.", nameof(region));
        if (region.Strength is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(region), "Strength must be in (0, 1].");
        if (images != 1) throw new ArgumentException("A region is refined one image at a time.", nameof(region));
        return StageAt(size) + 1;
    }

    /// <summary>The index of the stage that works at <paramref name="resolution"/> px.</summary>
    public int StageAt(int resolution)
    {
        for (int s = 0; s < Model.Stages.Count; s++)
            if (Model.Stages[s].Config.Resolution == resolution) return s;
        throw new ArgumentException($"No stage works at {resolution} px; the model's sizes are {string.Join(", ", Model.Stages.Select(s => s.Config.Resolution))} px.");
    }

    internal static StageSamplingSettings Settings(DiffusionStage stage, int index, IReadOnlyList<int>? stepsPerStage, double? guidance,
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
