using System.Globalization;
using System.Text.Json;
using RefineWeb.Engine.Imaging;

namespace RefineWeb.Generation;

/// <summary>
/// How an image was made, carried inside its PNG: key "parameters" holds one human-readable block as common image
/// UIs write it, key "refineweb" the same as JSON for an exact round trip (dropping the file back on the page
/// restores the settings).
/// </summary>
public sealed record ImageParameters
{
    public const string TextKey = "parameters", JsonKey = "refineweb";
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public required string Prompt { get; init; }
    public string? NegativePrompt { get; init; }
    /// <summary>Null only when an uploaded file carried a seed that fails the limits.</summary>
    public long? Seed { get; init; }
    public int[]? Steps { get; init; }
    public double? GuidanceScale { get; init; }
    /// <summary>Guidance per stage, when the request set it so (then <see cref="GuidanceScale"/> is null).</summary>
    public double[]? GuidanceScales { get; init; }
    public int? Stages { get; init; }
    public int Width { get; init; }
    public int Height { get; init; }
    public string? Model { get; init; }
    public ImageOrigin Origin { get; init; }
    public double? Strength { get; init; }

    /// <summary>"red heart / Negative prompt: ... / Steps: 20/10/8, Guidance: 3, Seed: 1, Size: 64x64, Model: ...".</summary>
    public string ToText()
    {
        var settings = new List<string>();
        if (Steps is { Length: > 0 }) settings.Add($"Steps: {string.Join("/", Steps)}");
        settings.Add($"Guidance: {(GuidanceScales is { Length: > 0 } perStage ? string.Join("/", perStage.Select(g => g.ToString(CultureInfo.InvariantCulture)))
            : GuidanceScale is { } g ? g.ToString(CultureInfo.InvariantCulture) : "default")}");
        if (Seed is { } seed) settings.Add($"Seed: {seed}");
        settings.Add($"Size: {Width}x{Height}");
        if (Strength is { } s) settings.Add($"Strength: {s.ToString(CultureInfo.InvariantCulture)}");
        if (Origin != ImageOrigin.Generated) settings.Add($"Origin: {Origin.ToString().ToLowerInvariant()}");
        if (Model is not null) settings.Add($"Model: {Model}");
        var lines = new List<string> { Prompt };
        if (!string.IsNullOrEmpty(NegativePrompt)) lines.Add($"Negative prompt: {NegativePrompt}");
        lines.Add(string.Join(", ", settings));
        return string.Join("\n", lines);
    }

    public byte[] AddTo(byte[] png) => PngText.With(png, new Dictionary<string, string> { [TextKey] = ToText(), [JsonKey] = ToJson() });

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parameters saved by <see cref="ToJson"/>; null for null or unreadable JSON.</summary>
    public static ImageParameters? FromJson(string? json)
    {
        if (json is null) return null;
        try
        {
            return JsonSerializer.Deserialize<ImageParameters>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public const int MaxModelNameLength = 100;

    /// <summary>
    /// The settings an uploaded file carried, checked with the same rules as a request: a field that fails them is
    /// dropped (the picture is kept), the size is the picture's own, and without a usable prompt nothing is kept.
    /// Null with what was dropped, or the parameters and the names of the dropped fields.
    /// </summary>
    public (ImageParameters? Kept, IReadOnlyList<string> Dropped) Checked(int width, int height, int stageCount)
    {
        if (GenerationLimits.PromptProblem(Prompt) is not null) return (null, ["prompt"]);
        var dropped = new List<string>();
        T? Keep<T>(string name, T? value, bool valid)
        {
            if (value is null || valid) return value;
            dropped.Add(name);
            return default;
        }
        var kept = this with
        {
            NegativePrompt = Keep("negativePrompt", NegativePrompt, GenerationLimits.NegativePromptProblem(NegativePrompt) is null),
            Seed = Keep("seed", Seed, Seed is { } seed && GenerationLimits.ValidSeed(seed)),
            Steps = Keep("steps", Steps, Steps is { } steps && steps.Length <= stageCount && steps.All(GenerationLimits.ValidSteps)),
            GuidanceScale = Keep("guidanceScale", GuidanceScale, GuidanceScale is { } g && GenerationLimits.ValidGuidance(g)),
            GuidanceScales = Keep("guidanceScales", GuidanceScales, GuidanceScales is { } perStage && perStage.Length <= stageCount && perStage.All(GenerationLimits.ValidGuidance)),
            Stages = Keep("stages", Stages, Stages is >= 1 && Stages <= stageCount),
            Strength = Keep("strength", Strength, Strength is >= RefinementInput.MinStrength and <= RefinementInput.MaxStrength),
            Model = Keep("model", Model, Model is { Length: <= MaxModelNameLength } && !Model.Any(char.IsControl)),
            Origin = Enum.IsDefined(Origin) ? Origin : Keep("origin", (ImageOrigin?)Origin, false) ?? ImageOrigin.Uploaded,
            Width = width,
            Height = height,
        };
        return (kept, dropped);
    }

    /// <summary>The parameters inside a file, or null with the reason they could not be read (a damaged chunk is not an error).</summary>
    public static (ImageParameters? Parameters, string? Problem) Read(byte[] file)
    {
        var (entries, problems) = PngText.Read(file);
        if (!entries.TryGetValue(JsonKey, out var json))
            return (null, problems.FirstOrDefault(p => p != "not a PNG file") is { } problem ? $"The image's settings could not be read ({problem})." : null);
        try
        {
            var parameters = JsonSerializer.Deserialize<ImageParameters>(json, Json);
            return parameters is { Prompt.Length: > 0 } ? (parameters, null) : (null, "The image's settings are incomplete.");
        }
        catch (JsonException e)
        {
            return (null, $"The image's settings are not valid JSON (at {e.Path ?? "the start"}).");
        }
    }
}
