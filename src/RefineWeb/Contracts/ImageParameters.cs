using System.Globalization;
using System.Reflection;
using System.Text.Json;
using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Requests;

namespace RefineWeb.Contracts;

/// <summary>
/// How an image was made, carried inside its PNG: key "parameters" holds one human-readable block as common image
/// UIs write it, key "refineweb" the same as JSON for an exact round trip (dropping the file back on the page
/// restores the settings).
/// </summary>
public sealed record ImageParameters : GenerationInput
{
    public const string TextKey = "parameters", JsonKey = "refineweb";
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public ImageParameters() { }

    ImageParameters(GenerationInput settings) : base(settings) { }

    public int Width { get; init; }
    public int Height { get; init; }
    public string? Model { get; init; }
    public ImageOrigin Origin { get; init; }
    public double? Strength { get; init; }

    /// <summary>
    /// What goes inside a finished image's PNG: its request's settings as they were sent, with this image's own
    /// seed, the stages and steps that ran (each stage's default filled in) and one image.
    /// </summary>
    public static ImageParameters Of(ImageRequest request, long seed, RgbImage image, ImageOrigin origin, string model, IReadOnlyList<int> stepsPerStage) =>
        new(request.Settings)
        {
            Seed = seed, Count = 1, Stages = stepsPerStage.Count, Steps = [.. stepsPerStage], Width = image.Width, Height = image.Height, Model = model,
            Origin = origin, Strength = request.Edit is { Kind: not (EditKind.Upscale or EditKind.Realign) } edit ? edit.Strength : null,
        };

    /// <summary>"red heart / Negative prompt: ... / Steps: 20/10/8, Guidance: 3, Seed: 1, Size: 64x64, Model: ...".</summary>
    public string ToText()
    {
        var settings = Describe().ToList();
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
        // The one parser's verdict on the shared settings; each field it names is put back to a new request's value.
        var (_, errors) = ImageRequest.Parse(this with { Count = Math.Clamp(Count, 1, GenerationLimits.MaxCount) }, stageCount, () => 0);
        if (errors.ContainsKey("prompt")) return (null, ["prompt"]);
        var dropped = new List<string>(errors.Keys);
        var kept = this with { Width = width, Height = height };
        var fresh = new ImageParameters();
        foreach (var field in dropped)
        {
            var property = typeof(GenerationInput).GetProperty(field, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)
                ?? throw new InvalidOperationException($"No setting '{field}'.");
            property.SetValue(kept, property.GetValue(fresh));
        }
        T? Keep<T>(string name, T? value, bool valid)
        {
            if (value is null || valid) return value;
            dropped.Add(name);
            return default;
        }
        kept = kept with
        {
            Strength = Keep("strength", Strength, Strength is >= GenerationLimits.MinStrength and <= GenerationLimits.MaxStrength),
            Model = Keep("model", Model, Model is { Length: <= MaxModelNameLength } && !Model.Any(char.IsControl)),
            Origin = Enum.IsDefined(Origin) ? Origin : Keep("origin", (ImageOrigin?)Origin, false) ?? ImageOrigin.Uploaded,
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
