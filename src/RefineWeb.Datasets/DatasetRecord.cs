using System.Text.Json;
using System.Text.Json.Serialization;

namespace RefineWeb.Datasets;

/// <summary>One line of manifest.jsonl: an image, its captions, and where it came from.</summary>
public sealed record DatasetRecord
{
    public required string Id { get; init; }
    public required string Hexcode { get; init; }
    public required string Style { get; init; }
    /// <summary>64 px PNG, opaque on white, relative to the manifest.</summary>
    public required string Image { get; init; }
    /// <summary>128 px PNG where the source is vector art, else null.</summary>
    public string? Image128 { get; init; }
    public required string Label { get; init; }
    /// <summary>The label; the label with its keywords; the label with the style word.</summary>
    public required IReadOnlyList<string> Captions { get; init; }
    public required string SourcePackage { get; init; }
    public required string License { get; init; }
    public required string Split { get; init; }

    public const string Train = "train", Validation = "validation";

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static IReadOnlyList<DatasetRecord> ReadManifest(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0)
            .Select((line, i) => JsonSerializer.Deserialize<DatasetRecord>(line, Json)
                ?? throw new InvalidDataException($"{path}:{i + 1} is empty."))
            .ToList();
}
