using RefineWeb.Engine.Schedulers;

namespace RefineWeb.Engine.Pipelines.Cascade;

/// <summary>
/// What to generate. One image per seed, batched together. Null step counts and guidance take each stage's defaults;
/// <see cref="StageCount"/> stops the cascade early (1 = base only). <see cref="ItemPrompts"/> and
/// <see cref="ItemNegativePrompts"/> (one per seed) let one batch carry different prompts: several users' requests
/// with the same settings, or an evaluation's many captions.
/// </summary>
public sealed record CascadeRequest
{
    public required string Prompt { get; init; }
    public string NegativePrompt { get; init; } = "";
    public required IReadOnlyList<long> Seeds { get; init; }
    public IReadOnlyList<int>? StepsPerStage { get; init; }
    public double? GuidanceScale { get; init; }
    /// <summary>Classifier-free guidance per stage, coarsest first; where given it wins over <see cref="GuidanceScale"/> (shorter lists: the rest as before).</summary>
    public IReadOnlyList<double>? GuidancePerStage { get; init; }
    public int? StageCount { get; init; }
    public SamplerKind Sampler { get; init; } = SamplerKind.DpmSolverPlusPlus2M;
    public double Eta { get; init; }
    public IReadOnlyList<string>? ItemPrompts { get; init; }
    public IReadOnlyList<string>? ItemNegativePrompts { get; init; }
    /// <summary>
    /// Upscaling (prompt-guided super-resolution): [B, 3, r, r] pictures in [-1, 1] that enter the cascade in place of
    /// the stage of resolution r, so only the refiners above it run. Null: start from the base stage.
    /// </summary>
    public TorchSharp.torch.Tensor? StartImages { get; init; }
    /// <summary>
    /// Emphasized phrases of each item (positions in its plain prompt), as <see cref="Text.PromptEmphasis.Parse"/>
    /// gives them; null or weights of 1: no emphasis. One list per seed.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Text.EmphasizedPhrase>>? ItemEmphasis { get; init; }
    /// <summary>Strength of the semantic-induced gradient; null takes the model's default, 0 turns it off.</summary>
    public double? SemanticGuidanceScale { get; init; }
    /// <summary>Masked refinement: the picture whose region is re-refined (one seed; the stages up to its size run). Null: none.</summary>
    public RepaintRegion? Region { get; init; }
    /// <summary>Whether emphasized tokens get a larger share of cross-attention.</summary>
    public bool ReweightTokens { get; init; } = true;
    /// <summary>
    /// DeepCache on the base stage (the only one with many steps): a full network pass every this many steps, the deep
    /// features reused in between; 1 (the default): every step in full. Measured in the model card before any use.
    /// </summary>
    public int BaseDeepCacheInterval { get; init; } = 1;
    /// <summary>Prompts by region (a layout): <see cref="Prompt"/> (or <see cref="ItemPrompts"/>) covers the rest. Null: none.</summary>
    public IReadOnlyList<Regions.PromptRegion>? Regions { get; init; }

    /// <summary>The plain prompt of every item.</summary>
    public IReadOnlyList<string> PromptsPerItem() => ItemPrompts ?? Enumerable.Repeat(Prompt, Seeds.Count).ToList();

    /// <summary>The prompt of every item, then the negative prompt of every item (the [cond; uncond] batch).</summary>
    public IReadOnlyList<string> ConditionalThenUnconditional()
    {
        var prompts = PromptsPerItem();
        var negatives = ItemNegativePrompts ?? Enumerable.Repeat(NegativePrompt, Seeds.Count).ToList();
        if (prompts.Count != Seeds.Count || negatives.Count != Seeds.Count)
            throw new ArgumentException($"Per-item prompts must number as many as the seeds ({Seeds.Count}).");
        // With regions: the global prompts, then each region's prompt for every item, then the negatives; when a region
        // has a negative prompt of its own, each region's negatives follow (a region without one takes the item's).
        var regions = Regions ?? [];
        var regionNegatives = regions.Any(r => r.NegativePrompt is not null)
            ? regions.SelectMany(region => negatives.Select(negative => region.NegativePrompt ?? negative)) : [];
        return [.. prompts, .. regions.SelectMany(region => Enumerable.Repeat(region.Prompt, Seeds.Count)), .. negatives, .. regionNegatives];
    }
}

/// <summary>
/// A region of a picture to re-refine (RefineNet's conditional refinement): at every stage and step the rest is the
/// parent's. <paramref name="Parent"/>: [3, H, W] in [-1, 1], H = W = a stage's resolution; <paramref name="Mask"/>:
/// [H, W], 1 where the picture is re-refined (values above 0 count as 1); <paramref name="Strength"/>: the share of the
/// noise schedule the region starts from (1 = pure noise, 0.3 = a light touch).
/// </summary>
/// <param name="TimesPerStep">RePaint's resampling: each step of the <paramref name="ResampledStages"/> coarsest stages is taken this often (1 = plain).</param>
/// <param name="RefinerStrength">Where the refiners above the base start in their schedule; null = the model's <see cref="CascadeManifest.RegionRefinerStrength"/>, else <paramref name="Strength"/> at every stage.</param>
public sealed record RepaintRegion(TorchSharp.torch.Tensor Parent, TorchSharp.torch.Tensor Mask, double Strength, int TimesPerStep = 1, int ResampledStages = 0,
    double? RefinerStrength = null);
