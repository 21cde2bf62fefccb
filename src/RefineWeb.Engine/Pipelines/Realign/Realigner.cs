using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Pipelines.Regions;
using RefineWeb.Engine.Pipelines.Semantic;
using RefineWeb.Engine.Text;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Realign;

/// <summary>
/// RealignDiff's fine stage for a finished picture: each thing the prompt names (a layout's regions, or the phrases
/// of a plain prompt found by <see cref="PhraseLocator"/>) is scored on its own region by the alignment model; those
/// that score low are re-refined in their region (masked, as brush &amp; refine, so the rest stays byte for byte) with
/// the phrase emphasized: its tokens re-weighted in cross-attention and its semantic gradient. A candidate is kept
/// only when the phrase's own score rises (by <see cref="MinimumGain"/>) and no other phrase's score, nor the whole
/// prompt's, falls.
/// </summary>
public sealed class Realigner(CascadeModel model)
{
    /// <summary>Candidates tried per low phrase (each from its own seed).</summary>
    public int CandidatesPerPhrase { get; init; } = 3;
    /// <summary>Low phrases re-aligned per picture at most, lowest first.</summary>
    public int MaxPhrases { get; init; } = 3;
    /// <summary>How much of the schedule the region starts from (brush &amp; refine's default).</summary>
    public double Strength { get; init; } = RefinementRequest.DefaultStrength;
    /// <summary>The phrase's emphasis while its region is refined (the page's one-click emphasis).</summary>
    public double EmphasisWeight { get; init; } = EmphasisEdits.DefaultWeight;
    /// <summary>
    /// How much a candidate must raise its phrase's score to be kept; null: half the gap between two right pictures of one
    /// thing (the calibration's <see cref="ScoreCalibration.MeaningfulDifference"/>; any rise without a calibration). Measured
    /// by the independent judge (the model card): keeping any rise gains the judge no more on average, and lowers another
    /// phrase three times as often.
    /// </summary>
    public double? MinimumGain { get; init; }

    double GainNeeded => Math.Max(0, MinimumGain ?? (model.ScoreCalibration?.MeaningfulDifference ?? 0) / 2);

    /// <summary>
    /// How far another phrase's score may move down and still count as "not lowered": the crops of neighbouring phrases
    /// can share a few feathered pixels, and a change in the fourth decimal is rounding, not harm.
    /// </summary>
    public const double Tolerance = 0.005;

    /// <summary>Re-aligns <paramref name="request"/>'s picture; throws <see cref="OperationCanceledException"/> when cancelled.</summary>
    public RealignResult Run(RealignRequest request, Action<StepPreview>? onStep = null, CancellationToken cancellation = default)
    {
        var scorer = new AlignmentScorer(model);
        if (!scorer.IsAvailable) throw new InvalidOperationException($"{model.Directory} has no alignment model: re-aligning needs one to score phrases.");
        int size = request.Source.Width;
        var targets = Targets(request, size);
        if (targets.Count == 0) return new RealignResult(request.Source, []);

        var current = request.Source;
        var scores = Scores(scorer, current, request.Prompt, targets);
        var before = scores;
        double well = model.ScoreCalibration?.WellAtLeast ?? double.PositiveInfinity;
        var low = Enumerable.Range(0, targets.Count).Where(t => scores.Phrases[t] < well).OrderBy(t => scores.Phrases[t]).Take(MaxPhrases).ToList();
        var tried = new int[targets.Count];
        var realigned = new bool[targets.Count];
        int feather = Requests.GenerationLimits.DefaultFeather(size), passes = low.Count * CandidatesPerPhrase, pass = 0;
        foreach (int t in low)
        {
            var target = targets[t];
            var editable = MaskCompositor.Editable(target.Mask, size, size, feather);
            (RgbImage Picture, PictureScores Scores, double Gain)? best = null;
            for (int k = 0; k < CandidatesPerPhrase; k++, pass++)
            {
                cancellation.ThrowIfCancellationRequested();
                int thisPass = pass;
                var refined = Refine(request, target, current, editable, request.Seed + 1 + pass,
                    onStep is null ? null : preview => onStep(preview with { Pass = thisPass, Passes = passes }), cancellation);
                var candidate = MaskCompositor.Composite(current, refined, target.Mask, feather);
                var candidateScores = Scores(scorer, candidate, request.Prompt, targets);
                tried[t]++;
                double gain = candidateScores.Phrases[t] - scores.Phrases[t];
                bool othersKept = candidateScores.Prompt >= scores.Prompt - Tolerance
                    && Enumerable.Range(0, targets.Count).All(j => j == t || candidateScores.Phrases[j] >= scores.Phrases[j] - Tolerance);
                if (gain > GainNeeded && othersKept && (best is null || gain > best.Value.Gain)) best = (candidate, candidateScores, gain);
            }
            if (best is { } kept)
            {
                (current, scores) = (kept.Picture, kept.Scores);
                realigned[t] = true;
            }
        }
        return new RealignResult(current, [.. targets.Select((target, t) =>
            new PhraseRealignment(target.Phrase, Math.Round(before.Phrases[t], 4), Math.Round(scores.Phrases[t], 4), realigned[t], tried[t]))]);
    }

    /// <summary>The things to check: a layout's regions with their masks, or the phrases of the prompt where the base attends to them.</summary>
    List<Target> Targets(RealignRequest request, int size)
    {
        if (request.Regions is { Count: > 0 } regions)
            return [.. regions.Select(region => new Target(region.Prompt, region.Pixels(size), region.Prompt,
                [new EmphasizedPhrase(region.Prompt, EmphasisWeight, 0)], region.NegativePrompt ?? request.NegativePrompt))];
        var phrases = PromptPhrases.Of(request.Prompt);
        using var image = ImageTensor.FromRgb(request.Source);
        var masks = new PhraseLocator(model).Locate(image, request.Prompt, phrases, request.Seed, size);
        var targets = new List<Target>();
        for (int i = 0; i < phrases.Count; i++)
        {
            if (masks[i] is not { } mask || !mask.Any(m => m)) continue;
            var phrase = phrases[i];
            // The user's own emphasis stays, except where it overlaps the phrase (the phrase's weight wins there).
            var emphasis = request.Emphasis.Where(p => p.Start >= phrase.Start + phrase.Text.Length || p.Start + p.Text.Length <= phrase.Start)
                .Append(phrase with { Weight = EmphasisWeight }).ToList();
            targets.Add(new Target(phrase.Text, mask, request.Prompt, emphasis, request.NegativePrompt));
        }
        return targets;
    }

    RgbImage Refine(RealignRequest request, Target target, RgbImage current, bool[] editable, long seed, Action<StepPreview>? onStep, CancellationToken cancellation)
    {
        using var scope = NewDisposeScope();
        int size = current.Width;
        var region = new RepaintRegion(ImageTensor.FromRgb(current), tensor(editable.Select(m => m ? 1f : 0f).ToArray(), [size, size]), Strength);
        var images = new CascadePipeline(model).Generate(new CascadeRequest
        {
            Prompt = target.Prompt, NegativePrompt = target.NegativePrompt, Seeds = [seed], ItemEmphasis = [target.Emphasis],
            StepsPerStage = request.StepsPerStage, GuidanceScale = request.GuidanceScale, GuidancePerStage = request.GuidancePerStage,
            Sampler = request.Sampler, Region = region,
        }, onStep, cancellation);
        return ImageTensor.ToRgb(images[0]);
    }

    /// <summary>The whole prompt's score and each target's on its own region.</summary>
    static PictureScores Scores(AlignmentScorer scorer, RgbImage picture, string prompt, IReadOnlyList<Target> targets)
    {
        using var scope = NewDisposeScope();
        var image = ImageTensor.FromRgb(picture);
        double whole = scorer.Similarities(image.unsqueeze(0), [[prompt]])[0][0];
        var regions = targets.Select(t => PromptRegion.Of(t.Phrase, t.Mask, picture.Width)).ToList();
        return new PictureScores(whole, scorer.RegionScores(image, regions));
    }

    sealed record Target(string Phrase, bool[] Mask, string Prompt, IReadOnlyList<EmphasizedPhrase> Emphasis, string NegativePrompt);

    sealed record PictureScores(double Prompt, double[] Phrases);
}

/// <summary>
/// A finished picture to re-align and how it was made: its plain prompt with the user's emphasis, its layout's regions
/// (null: a plain prompt, whose phrases are found), and the settings each candidate refinement samples with; candidate
/// seeds follow <see cref="Seed"/>.
/// </summary>
public sealed record RealignRequest
{
    public required RgbImage Source { get; init; }
    public required string Prompt { get; init; }
    public IReadOnlyList<EmphasizedPhrase> Emphasis { get; init; } = [];
    public string NegativePrompt { get; init; } = "";
    public IReadOnlyList<PromptRegion>? Regions { get; init; }
    public long Seed { get; init; }
    public IReadOnlyList<int>? StepsPerStage { get; init; }
    public double? GuidanceScale { get; init; }
    public IReadOnlyList<double>? GuidancePerStage { get; init; }
    public Schedulers.SamplerKind Sampler { get; init; } = Schedulers.SamplerKind.DpmSolverPlusPlus2M;
}

/// <summary>The picture after re-alignment (the source itself when nothing was kept) and what happened to each phrase.</summary>
public sealed record RealignResult(RgbImage Image, IReadOnlyList<PhraseRealignment> Phrases);

/// <summary>
/// One phrase of a re-alignment: its score on its own region before and after (alignment cosine, 4 decimals), whether
/// a candidate of its own was kept, and how many candidates were tried (0: it already scored well).
/// </summary>
public sealed record PhraseRealignment(string Phrase, double Before, double After, bool Realigned, int Tried);
