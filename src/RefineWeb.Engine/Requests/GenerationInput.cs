using System.ComponentModel.DataAnnotations;
using System.Globalization;
using RefineWeb.Engine.Schedulers;
using RefineWeb.Engine.Text;

namespace RefineWeb.Engine.Requests;

/// <summary>
/// The settings every kind of request shares, as a client writes them (JSON, the hub, the page's form, the CLI's
/// options, the settings inside a PNG). Read by <see cref="ImageRequest"/>.Parse, the one parser, against
/// <see cref="GenerationLimits"/>.
/// </summary>
public record PromptSettings
{
    /// <summary>What to draw, with (word:1.4) emphasis; the only field required. (The attribute marks it so in the OpenAPI document; the checks are <see cref="GenerationLimits"/>.)</summary>
    [Required] public string Prompt { get; init; } = "";
    public string? NegativePrompt { get; init; }
    /// <summary>Seed of the first image (the others use seed+1, ...); null picks one at random.</summary>
    public long? Seed { get; init; }
    /// <summary>Denoising steps per stage, coarsest first; null or shorter lists take the stages' defaults.</summary>
    public int[]? Steps { get; init; }
    /// <summary>Classifier-free guidance for every stage; null: each stage's own default.</summary>
    public double? GuidanceScale { get; init; }
    /// <summary>Guidance per stage, coarsest first (as <see cref="Steps"/>); shorter lists take the rest's defaults. Not with <see cref="GuidanceScale"/>.</summary>
    public double[]? GuidanceScales { get; init; }
    /// <summary>The sampler of every stage: "dpm-solver++-2m" (the default) or "ddim".</summary>
    public SamplerKind Sampler { get; init; } = SamplerKind.DpmSolverPlusPlus2M;

    /// <summary>
    /// Whether two requests' images can share a forward pass: everything but the prompts and seeds the same. Every
    /// setting that changes how a stage samples belongs here.
    /// </summary>
    public bool SamplesLike(PromptSettings other) =>
        GuidanceScale == other.GuidanceScale && (GuidanceScales ?? []).SequenceEqual(other.GuidanceScales ?? [])
        && (Steps ?? []).SequenceEqual(other.Steps ?? []) && Sampler == other.Sampler;

    /// <summary>The settings in words, as image UIs write them into a PNG: "Steps: 20/10, Guidance: 3, Sampler: ddim".</summary>
    public IEnumerable<string> Describe()
    {
        if (Steps is { Length: > 0 }) yield return $"Steps: {string.Join("/", Steps)}";
        yield return $"Guidance: {(GuidanceScales is { Length: > 0 } perStage ? string.Join("/", perStage.Select(g => g.ToString(CultureInfo.InvariantCulture)))
            : GuidanceScale is { } g ? g.ToString(CultureInfo.InvariantCulture) : "default")}";
        if (Sampler != SamplerKind.DpmSolverPlusPlus2M) yield return $"Sampler: {SamplerNames.Of(Sampler)}";
        if (this is GenerationInput { Regions: { Length: > 0 } regions }) yield return $"Regions: {string.Join("; ", regions.Select(r => r.ToString()))}";
        if (Seed is { } seed) yield return $"Seed: {seed}";
    }
}

/// <summary>What a user asks for from text (the body of POST /api/v1/generations, the hub's Generate, the page's form, the CLI's generate).</summary>
public record GenerationInput : PromptSettings
{
    public GenerationInput() { }

    /// <summary>A refinement's or an upscale's shared settings as a generation's (one image, the stages the picture decides).</summary>
    protected GenerationInput(PromptSettings settings) : base(settings) { }

    /// <summary>These settings as a plain <see cref="GenerationInput"/> (not a subtype such as a PNG's parameters).</summary>
    public static GenerationInput Of(PromptSettings settings) => settings is GenerationInput input ? new GenerationInput(input) : new GenerationInput(settings);

    /// <summary>Stop after this many stages (1 = the base); null runs them all.</summary>
    public int? Stages { get; init; }
    public int Count { get; init; } = 1;

    /// <summary>
    /// A layout: what to draw in parts of the picture, each region's prompt inside its rectangle, <see cref="PromptSettings.Prompt"/>
    /// everywhere else; where regions overlap the later one wins. At most <see cref="GenerationLimits.MaxRegions"/>; null: none.
    /// </summary>
    public RegionInput[]? Regions { get; init; }

    public bool SamplesLike(GenerationInput other) => base.SamplesLike(other) && Stages == other.Stages;
}

/// <summary>
/// The limits every entry point (page, hub, REST API, and the settings inside an uploaded PNG) enforces before
/// anything is queued or stored: one set of rules, so the same request is accepted or refused the same way everywhere.
/// Comparisons are written so that NaN fails them.
/// </summary>
public static class GenerationLimits
{
    public const int MaxPromptLength = 200, MaxSteps = 100, MaxCount = 4, MaxFeather = 16, MaxRegions = 8;
    /// <summary>A region's weight at most: past twice its own prompt's pull, pictures break up.</summary>
    public const double MaxRegionWeight = 2;
    public const double MaxGuidanceScale = 20, MinStrength = 0.3, MaxStrength = 1.0;

    /// <summary>Field name to messages (ProblemDetails' "errors"); empty when the input is fine.</summary>
    public static Dictionary<string, string[]> Validate(GenerationInput input, int stageCount)
    {
        var errors = new ValidationErrors();
        if (input.Count is < 1 or > MaxCount) errors.Add("count", $"Number of images must be between 1 and {MaxCount}.");
        if (input.Stages is { } stages && (stages < 1 || stages > stageCount)) errors.Add("stages", $"Stages must be between 1 and {stageCount}.");
        errors.Settings(input, stageCount, Math.Clamp(input.Count, 1, MaxCount));
        errors.Regions(input.Regions, input.Prompt);
        return errors.ToDictionary();
    }

    /// <summary>
    /// A small soft edge for a refined region, in proportion to the picture (about 3 %: 2 px at 64 px, 8 px at 256 px),
    /// so it leaves no seam; the image UIs people know blur their masks by 4-16 px at 512-1024 px.
    /// </summary>
    public static int DefaultFeather(int side) => Math.Clamp(side / 32, 1, MaxFeather);

    /// <summary>Why the prompt cannot be used, or null: empty or invisible, too long, a control character (its emphasis is read by <see cref="ImageRequest"/>.Parse).</summary>
    public static string? PromptProblem(string? prompt, string name = "prompt")
    {
        if (string.IsNullOrWhiteSpace(prompt)) return "Type a prompt: what should the picture show?";
        if (prompt.Length > MaxPromptLength) return $"The {name} is {prompt.Length} characters; at most {MaxPromptLength}.";
        if (ControlCharacter(prompt) is { } c) return $"The {name} contains the control character U+{(int)c:X4}; use plain text.";
        if (prompt.All(c => char.IsWhiteSpace(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format))
            return $"The {name} has only invisible characters (such as U+{(int)prompt.First(c => !char.IsWhiteSpace(c)):X4}, a zero-width space or mark); type what the picture should show.";
        return null;
    }

    /// <summary>Why the prompt cannot be used, its emphasis syntax included (what a page shows while the user types); null when it can.</summary>
    public static string? PromptError(string? prompt) => PromptProblem(prompt) ?? Emphasis(prompt!).Problem;

    /// <summary>Why the negative prompt cannot be used, or null (it may be empty).</summary>
    public static string? NegativePromptProblem(string? negative)
    {
        if (negative is null) return null;
        if (negative.Length > MaxPromptLength) return $"The negative prompt is {negative.Length} characters; at most {MaxPromptLength}.";
        return ControlCharacter(negative) is { } c ? $"The negative prompt contains the control character U+{(int)c:X4}; use plain text." : null;
    }

    public static bool ValidSteps(int steps) => steps is >= 1 and <= MaxSteps;

    public static bool ValidGuidance(double guidance) => guidance is >= 0 and <= MaxGuidanceScale; // false for NaN

    /// <summary>Seeds of every image (seed, seed+1, ...) must stay representable: no overflow past long.MaxValue.</summary>
    public static bool ValidSeed(long seed, int images = 1) => seed >= 0 && seed <= long.MaxValue - (images - 1);

    /// <summary>Text chunks in PNG files may not hold NUL, and no prompt needs a control character (tab and line breaks are fine).</summary>
    static char? ControlCharacter(string text)
    {
        foreach (var c in text)
            if (char.IsControl(c) && c is not ('\t' or '\n' or '\r')) return c;
        return null;
    }

    /// <summary>The prompt read once: its emphasis syntax, such as (blue:1.4), taken out; or why it cannot be read.</summary>
    internal static (EmphasizedPrompt? Prompt, string? Problem) Emphasis(string prompt)
    {
        try
        {
            var parsed = PromptEmphasis.Parse(prompt);
            return parsed.Text.Trim().Length == 0 ? (null, "The prompt has no words outside its brackets.") : (parsed, null);
        }
        catch (PromptSyntaxException e)
        {
            return (null, e.Message);
        }
    }
}

/// <summary>Field name to messages, as ProblemDetails wants them; the shared checks of every request kind.</summary>
public sealed class ValidationErrors
{
    readonly Dictionary<string, List<string>> byField = [];
    public int Count => byField.Count;
    public bool Has(string field) => byField.ContainsKey(field);
    public void Add(string field, string message) => (byField.TryGetValue(field, out var list) ? list : byField[field] = []).Add(message);

    /// <summary>The checks of the settings every request kind shares (the prompt's emphasis aside: <see cref="ImageRequest"/>.Parse).</summary>
    public void Settings(PromptSettings input, int stageCount, int images = 1)
    {
        Prompts(input.Prompt, input.NegativePrompt);
        Steps(input.Steps, stageCount);
        Guidance(input.GuidanceScale);
        GuidancePerStage(input.GuidanceScales, input.GuidanceScale, stageCount);
        Seed(input.Seed, images);
        if (!Enum.IsDefined(input.Sampler)) Add("sampler", $"Sampler must be one of {string.Join(", ", SamplerNames.All.Select(n => $"\"{n}\""))}.");
    }

    /// <summary>A layout's regions: how many, each one's prompt (plain words: no emphasis yet) and rectangle or mask, each problem under the region's own field.</summary>
    public void Regions(RegionInput[]? regions, string? prompt)
    {
        if (regions is null) return;
        if (regions.Length > GenerationLimits.MaxRegions) Add("regions", $"At most {GenerationLimits.MaxRegions} regions; this layout has {regions.Length}.");
        for (int i = 0; i < Math.Min(regions.Length, GenerationLimits.MaxRegions); i++)
        {
            string field = $"regions[{i}]";
            if (regions[i] is not { } region)
            {
                Add(field, "Each region needs a prompt and a rect or a mask.");
                continue;
            }
            if (GenerationLimits.PromptProblem(region.Prompt, $"prompt of region {i + 1}") is { } problem) Add($"{field}.prompt", problem);
            else if (GenerationLimits.Emphasis(region.Prompt).Problem is { } emphasisProblem)
                Add($"{field}.prompt", $"Region {i + 1}: {emphasisProblem}");
            if (GenerationLimits.NegativePromptProblem(region.NegativePrompt) is { } negativeProblem) Add($"{field}.negativePrompt", $"Region {i + 1}: {negativeProblem}");
            if (region.Weight is { } weight && !(weight > 0 && weight <= GenerationLimits.MaxRegionWeight))
                Add($"{field}.weight", $"Region {i + 1}'s weight must be above 0 and at most {GenerationLimits.MaxRegionWeight} (1 follows its prompt wholly); it is {weight}.");
            if (region.Mask is not null)
            {
                if (region.Rect is not null) Add($"{field}.mask", $"Region {i + 1} has both a rect and a mask: give one.");
                else if (Imaging.RegionMask.Decode(region.Mask).Problem is { } maskProblem) Add($"{field}.mask", $"Region {i + 1}: {maskProblem}");
                continue;
            }
            if (region.Rect is not { } rect)
            {
                Add($"{field}.rect", "Give the region's rectangle: {\"x\", \"y\", \"width\", \"height\"} in fractions of the picture, from 0 to 1; or a mask: a square PNG as base64, white inside.");
                continue;
            }
            if (rect.X is not (>= 0 and < 1)) Add($"{field}.rect.x", $"Region {i + 1}'s x must be at least 0 and below 1 (a fraction of the picture's width); it is {rect.X}.");
            if (rect.Y is not (>= 0 and < 1)) Add($"{field}.rect.y", $"Region {i + 1}'s y must be at least 0 and below 1 (a fraction of the picture's height); it is {rect.Y}.");
            if (rect.Width is not (> 0 and <= 1)) Add($"{field}.rect.width", $"Region {i + 1}'s width must be above 0 and at most 1; it is {rect.Width}.");
            else if (rect.X + rect.Width > 1 + 1e-9) Add($"{field}.rect.width", $"Region {i + 1} reaches past the right edge: x + width is {rect.X + rect.Width}, at most 1.");
            if (rect.Height is not (> 0 and <= 1)) Add($"{field}.rect.height", $"Region {i + 1}'s height must be above 0 and at most 1; it is {rect.Height}.");
            else if (rect.Y + rect.Height > 1 + 1e-9) Add($"{field}.rect.height", $"Region {i + 1} reaches past the bottom edge: y + height is {rect.Y + rect.Height}, at most 1.");
        }
    }

    public void Prompts(string? prompt, string? negative)
    {
        if (GenerationLimits.PromptProblem(prompt) is { } problem) Add("prompt", problem);
        if (GenerationLimits.NegativePromptProblem(negative) is { } negativeProblem) Add("negativePrompt", negativeProblem);
    }

    public void Steps(int[]? steps, int stageCount)
    {
        if (steps is null) return;
        if (steps.Length > stageCount) Add("steps", $"Give at most {stageCount} step counts, one per stage.");
        if (!steps.All(GenerationLimits.ValidSteps)) Add("steps", $"Steps per stage must be between 1 and {GenerationLimits.MaxSteps}.");
    }

    public void Guidance(double? guidance)
    {
        if (guidance is { } g && !GenerationLimits.ValidGuidance(g)) Add("guidanceScale", $"Guidance scale must be between 0 and {GenerationLimits.MaxGuidanceScale}.");
    }

    public void GuidancePerStage(double[]? perStage, double? everyStage, int stageCount)
    {
        if (perStage is null) return;
        if (everyStage is not null) Add("guidanceScales", "Give either guidanceScale (every stage) or guidanceScales (one per stage), not both.");
        if (perStage.Length > stageCount) Add("guidanceScales", $"Give at most {stageCount} guidance scales, one per stage.");
        if (!perStage.All(GenerationLimits.ValidGuidance)) Add("guidanceScales", $"Guidance scales must be between 0 and {GenerationLimits.MaxGuidanceScale}.");
    }

    public void Seed(long? seed, int images = 1)
    {
        if (seed is not { } s) return;
        if (s < 0) Add("seed", "The seed cannot be negative.");
        else if (!GenerationLimits.ValidSeed(s, images)) Add("seed", $"The seed is too large for {images} images (each takes the next seed); at most {long.MaxValue - (images - 1)}.");
    }

    public void Strength(double strength)
    {
        if (!(strength >= GenerationLimits.MinStrength && strength <= GenerationLimits.MaxStrength))
            Add("strength", $"Strength must be a number between {GenerationLimits.MinStrength} and {GenerationLimits.MaxStrength}.");
    }

    public Dictionary<string, string[]> ToDictionary() => byField.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
}
