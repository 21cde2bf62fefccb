using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Pipelines.Semantic;
using RefineWeb.Engine.Requests;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Serving;

/// <summary>
/// The engine's one entry for a server: a batch of <see cref="ImageRequest"/>s in, finished pictures and their
/// alignment scores out, every denoising step reported on the way. Text, masked refinement and upscaling run through
/// the one cascade skeleton (<see cref="CascadePipeline.Generate"/>); tensors stay inside, pictures leave as
/// <see cref="RgbImage"/>s. Call it from one thread (the model's).
/// </summary>
public sealed class ImageEngine(CascadeModel model)
{
    public CascadeModel Model { get; } = model;

    /// <summary>
    /// Runs <paramref name="batch"/> (requests that <see cref="ImageRequest.CanShareBatchWith"/> each other, or one
    /// edit alone) and returns one result per request, in order. Throws <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellation"/> fires.
    /// </summary>
    public IReadOnlyList<EngineResult> Run(IReadOnlyList<ImageRequest> batch, Action<EngineStep>? onStep = null, CancellationToken cancellation = default)
    {
        if (batch.Count == 0) throw new ArgumentException("An empty batch.", nameof(batch));
        if (batch.Count > 1 && batch.Any(r => !r.CanShareBatchWith(batch[0])))
            throw new ArgumentException("Only requests that can share a forward pass run together.", nameof(batch));
        using var scope = NewDisposeScope();
        if (batch[0].Edit is { Kind: EditKind.Realign }) return [Realign(batch[0], onStep, cancellation)];
        var request = PipelineRequest(batch);
        using var images = new CascadePipeline(Model).Generate(request, onStep is null ? null : preview => onStep(new EngineStep(preview)), cancellation);
        return Results(batch, images, request.Regions);
    }

    /// <summary>
    /// A batch's finished pictures [B, 3, H, W] in [-1, 1] as one result per request, in order: the pictures (a masked
    /// refinement composited back onto its parent in bytes) and, with an alignment model, their scores; with a layout
    /// (<paramref name="regions"/>, the pipeline's: a layout runs alone), each picture's score per region too.
    /// </summary>
    internal IReadOnlyList<EngineResult> Results(IReadOnlyList<ImageRequest> batch, Tensor images, IReadOnlyList<Pipelines.Regions.PromptRegion>? regions = null)
    {
        var rows = Rows(batch);
        var finished = ImageTensor.ToRgbBatch(images);
        var scores = Score(images, rows);
        if (scores is not null && regions is { Count: > 0 }) ScoreRegions(scores, images, regions);
        var results = new List<EngineResult>();
        int offset = 0;
        foreach (var item in batch)
        {
            int first = offset;
            offset += item.Seeds.Count;
            var pictures = finished[first..offset];
            // Masked refinements go back onto the parent in bytes: outside the mask (and feather) nothing changes.
            if (item.Edit is { Kind: EditKind.RefineRegion } edit) pictures = [MaskCompositor.Composite(edit.Source, pictures[0], edit.Mask!, edit.Feather)];
            results.Add(new EngineResult(pictures, scores?[first..offset]));
        }
        return results;
    }

    /// <summary>
    /// A re-alignment: the picture's low phrases refined in their regions (<see cref="Pipelines.Realign.Realigner"/>), every
    /// candidate's steps reported as passes of one run; the result scored as a generation's, with what happened to each phrase.
    /// </summary>
    EngineResult Realign(ImageRequest item, Action<EngineStep>? onStep, CancellationToken cancellation)
    {
        var edit = item.Edit!;
        var settings = item.Settings;
        var regions = settings.Regions is { Length: > 0 } layout ? layout.Select(r => r.ToPromptRegion()).ToList() : null;
        var result = new Pipelines.Realign.Realigner(Model).Run(new Pipelines.Realign.RealignRequest
        {
            Source = edit.Source, Prompt = item.Emphasis.Text, Emphasis = item.Emphasis.Phrases, NegativePrompt = item.NegativePrompt, Regions = regions,
            Seed = settings.Seed!.Value, StepsPerStage = settings.Steps, GuidanceScale = settings.GuidanceScale, GuidancePerStage = settings.GuidanceScales,
            Sampler = settings.Sampler,
        }, onStep is null ? null : preview => onStep(new EngineStep(preview)), cancellation);
        using var images = ImageTensor.FromRgb(result.Image).unsqueeze(0);
        var scores = Score(images, [item]);
        if (scores is not null && regions is not null) ScoreRegions(scores, images, regions);
        return new EngineResult([result.Image], scores) { Realignment = result.Phrases };
    }

    /// <summary>Every image of a batch as the request it belongs to, requests in order, each request's seeds in order.</summary>
    static List<ImageRequest> Rows(IReadOnlyList<ImageRequest> batch) => [.. batch.SelectMany(r => r.Seeds.Select(_ => r))];

    /// <summary>
    /// The pipeline's arguments for a batch: one row per image, each with its own request's plain prompt, emphasis,
    /// negative prompt and seed; the settings the batch shares from its first request; an edit's picture and mask.
    /// Pure mapping (diffusers' pipeline call arguments): no model.
    /// </summary>
    public static CascadeRequest PipelineRequest(IReadOnlyList<ImageRequest> batch)
    {
        var rows = Rows(batch);
        var settings = batch[0].Settings;
        var request = new CascadeRequest
        {
            Prompt = batch[0].Emphasis.Text,
            ItemPrompts = [.. rows.Select(r => r.Emphasis.Text)],
            ItemEmphasis = [.. rows.Select(r => r.Emphasis.Phrases)],
            ItemNegativePrompts = [.. rows.Select(r => r.NegativePrompt)],
            Seeds = [.. batch.SelectMany(r => r.Seeds)],
            StepsPerStage = settings.Steps,
            GuidanceScale = settings.GuidanceScale,
            GuidancePerStage = settings.GuidanceScales,
            StageCount = settings.Stages,
            Sampler = settings.Sampler,
            Regions = settings.Regions is { Length: > 0 } regions ? [.. regions.Select(r => r.ToPromptRegion())] : null,
        };
        return batch[0].Edit switch
        {
            null => request,
            { Kind: EditKind.Upscale } edit => request with { StartImages = ImageTensor.FromRgb(edit.Source).unsqueeze(0) },
            var edit => request with
            {
                Region = new RepaintRegion(ImageTensor.FromRgb(edit.Source),
                    tensor(edit.Editable!.Select(m => m ? 1f : 0f).ToArray(), [edit.Source.Height, edit.Source.Width]), edit.Strength),
            },
        };
    }

    /// <summary>Each image of a layout gets its score per region: the region's prompt against what the region shows.</summary>
    void ScoreRegions(AlignmentScores[] scores, Tensor images, IReadOnlyList<Pipelines.Regions.PromptRegion> regions)
    {
        var scorer = new AlignmentScorer(Model);
        for (int i = 0; i < scores.Length; i++)
        {
            using var image = images[i];
            scores[i] = scores[i] with { Regions = scorer.RegionScores(image, regions) };
        }
    }

    /// <summary>Each image's alignment with its prompt and emphasized phrases; null without an alignment model.</summary>
    AlignmentScores[]? Score(Tensor images, IReadOnlyList<ImageRequest> rows)
    {
        var scorer = new AlignmentScorer(Model);
        if (!scorer.IsAvailable) return null;
        return [.. scorer.Score(images, [.. rows.Select(r => r.Emphasis.Text)], [.. rows.Select(r => (IReadOnlyList<string>)[.. r.Emphasis.Phrases.Select(p => p.Text)])])];
    }

    /// <summary>The steps each stage that runs takes for these settings (the request's, else the stage's default), coarsest first.</summary>
    public IReadOnlyList<int> StepsPerStage(GenerationInput settings) =>
        [.. Model.Stages.Take(settings.Stages ?? Model.Stages.Count).Select((s, i) => settings.Steps is { } steps && i < steps.Length ? steps[i] : s.Config.DefaultSteps)];

    /// <summary>libtorch's threads for the work that follows (one image runs best on fewer than every core).</summary>
    public static void UseThreads(int threads) => set_num_threads(threads);

    /// <summary>Gives freed native memory back to the system (between batches).</summary>
    public static void TrimMemory() => Runtime.NativeHeap.Trim();
}

/// <summary>One request's outcome: its pictures (one per seed) and, with an alignment model, their scores.</summary>
public sealed record EngineResult(IReadOnlyList<RgbImage> Images, IReadOnlyList<AlignmentScores>? Scores)
{
    /// <summary>A re-alignment's account, phrase by phrase; null for every other kind of request.</summary>
    public IReadOnlyList<Pipelines.Realign.PhraseRealignment>? Realignment { get; init; }
}

/// <summary>
/// Where a run is after a denoising step, and (on request, during the callback only) every image's current estimate
/// as a picture: converting them costs time, so only a step someone watches asks for them.
/// </summary>
public sealed class EngineStep(StepPreview preview)
{
    /// <summary>The stage's place among the stages that run (0 = the first that runs), and how many run.</summary>
    public int StageIndex => preview.StageIndex;
    public int StageCount => preview.StageCount;
    public string StageName => preview.StageName;
    public int Resolution => preview.Resolution;
    /// <summary>1-based step within the stage, and the stage's step count.</summary>
    public int Step => preview.Step;
    public int TotalSteps => preview.TotalSteps;
    /// <summary>Which of the run's cascades this is (0-based) and how many it runs: 1 but for a re-alignment's candidates.</summary>
    public int Pass => preview.Pass;
    public int Passes => preview.Passes;

    /// <summary>The current estimate of every image of the batch, in batch order. Only valid during the step callback.</summary>
    public RgbImage[] Frames() => ImageTensor.ToRgbBatch(preview.PredictedImages);
}
