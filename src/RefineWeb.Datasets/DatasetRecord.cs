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
    /// <summary>
    /// Larger pictures of the same emoji where its style has vector art (256 px rendered, 128 px box-downsampled from
    /// that render), smallest first; empty where there is none. The 64 px <see cref="Image"/> stays as it was.
    /// </summary>
    public IReadOnlyList<DatasetImage> HighResolution { get; init; } = [];
    public required string Label { get; init; }
    /// <summary>The label; the label with its keywords; the label with the style word.</summary>
    public required IReadOnlyList<string> Captions { get; init; }
    public required string SourcePackage { get; init; }
    public required string License { get; init; }
    public required string Split { get; init; }
    /// <summary>The emojibase group ("food-drink", "symbols", ...); null in manifests written before it was recorded.</summary>
    public string? Category { get; init; }
    /// <summary>The colour word the picture is named by (<see cref="Colour.ColourPalette.Dominant"/>); null when it has none.</summary>
    public string? Colour { get; init; }
    /// <summary>Derived images only: the id of the record this one was made from.</summary>
    public string? Parent { get; init; }
    /// <summary>Derived images only: what was done to the parent's picture.</summary>
    public string? Transform { get; init; }

    public const string Train = "train", Validation = "validation";

    /// <summary>The picture at exactly <paramref name="size"/> px (64: <see cref="Image"/>), or null when there is none.</summary>
    public string? ImageAt(int size) => size == NativeSize ? Image : HighResolution.FirstOrDefault(i => i.Size == size)?.Image;

    /// <summary>The side of <see cref="Image"/>.</summary>
    public const int NativeSize = 64;

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

/// <summary>One larger picture of a record: its side, file (relative to the manifest), and where it came from.</summary>
public sealed record DatasetImage(int Size, string Image, string SourcePackage, string License);
