using RefineWeb.Engine.Schedulers;

namespace RefineWeb.Engine.Pipelines.Cascade;

/// <summary>
/// What to generate. One image per seed, batched together. Null step counts and guidance take each stage's defaults;
/// <see cref="StageCount"/> stops the cascade early (1 = base only).
/// </summary>
public sealed record CascadeRequest
{
    public required string Prompt { get; init; }
    public string NegativePrompt { get; init; } = "";
    public required IReadOnlyList<long> Seeds { get; init; }
    public IReadOnlyList<int>? StepsPerStage { get; init; }
    public double? GuidanceScale { get; init; }
    public int? StageCount { get; init; }
    public SamplerKind Sampler { get; init; } = SamplerKind.DpmSolverPlusPlus2M;
    public double Eta { get; init; }
}
