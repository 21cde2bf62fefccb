using System.Text.Json.Serialization;

namespace RefineWeb.Engine.Schedulers;

/// <summary>The samplers the engine offers; their names in the API, the hub, the PNG settings and the CLI are <see cref="SamplerNames"/>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SamplerKind>))] // by name in every JSON: API, hub, PNG settings, the cluster's queue
public enum SamplerKind
{
    /// <summary>DDIM (Song et al. 2021); eta = 0 is deterministic, eta = 1 is DDPM-like.</summary>
    [JsonStringEnumMemberName(SamplerNames.Ddim)] Ddim,
    /// <summary>DPM-Solver++ (2M), multistep second order in data prediction (Lu et al. 2022).</summary>
    [JsonStringEnumMemberName(SamplerNames.DpmSolverPlusPlus2M)] DpmSolverPlusPlus2M,
}

/// <summary>The samplers' names as users of other image tools write them (kebab-case).</summary>
public static class SamplerNames
{
    public const string Ddim = "ddim", DpmSolverPlusPlus2M = "dpm-solver++-2m";

    public static IReadOnlyList<string> All { get; } = [DpmSolverPlusPlus2M, Ddim];

    public static string Of(SamplerKind kind) => kind switch
    {
        SamplerKind.Ddim => Ddim,
        SamplerKind.DpmSolverPlusPlus2M => DpmSolverPlusPlus2M,
        _ => kind.ToString(),
    };

    /// <summary>The sampler a name stands for (its kebab-case name, or the enum's own name, any case); null for none.</summary>
    public static SamplerKind? Parse(string? name) =>
        Enum.GetValues<SamplerKind>().Cast<SamplerKind?>().FirstOrDefault(k => string.Equals(Of(k!.Value), name, StringComparison.OrdinalIgnoreCase)
            || string.Equals(k.ToString(), name, StringComparison.OrdinalIgnoreCase));
}
