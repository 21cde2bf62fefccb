using RefineWeb.Engine.Schedulers;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Cascade;

/// <summary>
/// Re-refine a region of an existing picture with a (new) prompt (RefineNet's conditional refinement): the cascade
/// runs up to the picture's resolution, and at every stage and step the region outside the mask is the parent's.
/// </summary>
public sealed record RefinementRequest
{
    public required string Prompt { get; init; }
    public string NegativePrompt { get; init; } = "";
    public required long Seed { get; init; }
    /// <summary>[3, H, W] in [-1, 1]; H = W = the resolution of one of the model's stages.</summary>
    public required Tensor Parent { get; init; }
    /// <summary>[H, W], 1 where the picture is re-refined, 0 where it is kept (values in between count as 1).</summary>
    public required Tensor Mask { get; init; }
    /// <summary>The strength a brush &amp; refine starts at (the page, the API and the harmonization evaluation).</summary>
    public const double DefaultStrength = 0.75;

    /// <summary>Share of the noise schedule the region starts from: 1 = from pure noise, 0.3 = light touch.</summary>
    public double Strength { get; init; } = DefaultStrength;
    public IReadOnlyList<int>? StepsPerStage { get; init; }
    public double? GuidanceScale { get; init; }
    /// <summary>Classifier-free guidance per stage, coarsest first; where given it wins over <see cref="GuidanceScale"/>.</summary>
    public IReadOnlyList<double>? GuidancePerStage { get; init; }
    public SamplerKind Sampler { get; init; } = SamplerKind.DpmSolverPlusPlus2M;
    /// <summary>Emphasized phrases of <see cref="Prompt"/> (see <see cref="CascadeRequest.ItemEmphasis"/>).</summary>
    public IReadOnlyList<Text.EmphasizedPhrase>? Emphasis { get; init; }
    public double? SemanticGuidanceScale { get; init; }
}
