using RefineWeb.Datasets.Emoji;

namespace RefineWeb.Datasets;

public sealed record DatasetBuildOptions
{
    /// <summary>Where manifest.jsonl and images/ go.</summary>
    public required string OutputDirectory { get; init; }
    /// <summary>Where npm tarballs are kept (a tarball already there is used as is, without the network).</summary>
    public required string PackageCache { get; init; }
    public IReadOnlyList<EmojiStyle> Styles { get; init; } = EmojiStyle.All;
    /// <summary>Share of emoji that hold one style out for validation.</summary>
    public double ValidationShare { get; init; } = 0.05;
    /// <summary>Stop after this many emoji (for quick runs); null = all.</summary>
    public int? Limit { get; init; }
    public int Parallelism { get; init; } = Math.Max(2, Environment.ProcessorCount);
    /// <summary>Recoloured copies per eligible training image (<see cref="Colour.RecolourPlan"/>); 0 = none.</summary>
    public int RecolourCopies { get; init; }
    /// <summary>Seed of which colours each copy gets.</summary>
    public long RecolourSeed { get; init; } = 1;
}
