using System.Text.Json.Serialization;
using RefineWeb.Engine.Text;

namespace RefineWeb.Engine.Requests;

/// <summary>
/// One validated request, made once at the edge (REST, hub, page, CLI, a PNG's settings) by Parse and
/// carried whole from there: by the job, into a cluster's queue as JSON, and into <see cref="Serving.ImageEngine"/>.
/// Its prompt is read once, here; nothing downstream parses it again.
/// </summary>
public sealed record ImageRequest
{
    /// <summary>The settings as the client gave them, checked against <see cref="GenerationLimits"/>; the seed is always set.</summary>
    public required GenerationInput Settings { get; init; }
    /// <summary>The prompt with its emphasis syntax taken out: the words the model reads and the weighted phrases.</summary>
    public required EmphasizedPrompt Emphasis { get; init; }
    /// <summary>A refinement or an upscale; null for a generation from text.</summary>
    public ImageEdit? Edit { get; init; }

    /// <summary>The prompt as the user typed it (emphasis syntax included).</summary>
    [JsonIgnore] public string Prompt => Settings.Prompt;
    [JsonIgnore] public string NegativePrompt => Settings.NegativePrompt ?? "";
    /// <summary>One seed per image: the first, then the next ones.</summary>
    [JsonIgnore] public IReadOnlyList<long> Seeds => [.. Enumerable.Range(0, Edit is null ? Settings.Count : 1).Select(i => Settings.Seed!.Value + i)];

    /// <summary>
    /// Whether two requests can share a forward pass. Refinements and upscales run alone (each starts from its own
    /// picture and stage). Emphasized and plain prompts do not mix: emphasis changes the attention and adds a gradient,
    /// and a plain image must come out the same whatever it is batched with.
    /// </summary>
    public bool CanShareBatchWith(ImageRequest other) =>
        Edit is null && other.Edit is null && Settings.SamplesLike(other.Settings) && Emphasis.Phrases.Count == 0 == (other.Emphasis.Phrases.Count == 0)
        && Settings.Regions is not { Length: > 0 } && other.Settings.Regions is not { Length: > 0 }; // a layout's prompts are its batch's: it runs alone

    /// <summary>
    /// The one parser: a client's settings to a request, or the fields at fault with a message each (ProblemDetails'
    /// "errors"). <paramref name="randomSeed"/> picks the seed when the client left it out.
    /// </summary>
    public static (ImageRequest? Request, Dictionary<string, string[]> Errors) Parse(GenerationInput? input, int stageCount, Func<long>? randomSeed = null)
    {
        if (input is null) return (null, new() { ["body"] = ["Send a generation request: at least {\"prompt\": \"...\"}."] });
        var errors = GenerationLimits.Validate(input, stageCount);
        return Complete(input, errors, randomSeed);
    }

    /// <summary>A refinement's or upscale's shared settings, with the checks its own fields already found (<paramref name="errors"/>).</summary>
    public static (ImageRequest? Request, Dictionary<string, string[]> Errors) Parse(PromptSettings input, ValidationErrors errors, int stageCount, int? stages, Func<long>? randomSeed = null)
    {
        errors.Settings(input, stageCount);
        return Complete(GenerationInput.Of(input) with { Stages = stages, Count = 1 }, errors.ToDictionary(), randomSeed);
    }

    static (ImageRequest?, Dictionary<string, string[]>) Complete(GenerationInput input, Dictionary<string, string[]> errors, Func<long>? randomSeed)
    {
        EmphasizedPrompt? emphasis = null;
        if (!errors.ContainsKey("prompt"))
        {
            (emphasis, var problem) = GenerationLimits.Emphasis(input.Prompt);
            if (problem is not null) errors["prompt"] = [problem];
        }
        if (errors.Count > 0) return (null, errors);
        var settings = GenerationInput.Of(input) with { Seed = input.Seed ?? (randomSeed ?? RandomSeed)() };
        return (new ImageRequest { Settings = settings, Emphasis = emphasis! }, errors);
    }

    static long RandomSeed() => Random.Shared.NextInt64(0, int.MaxValue);
}
