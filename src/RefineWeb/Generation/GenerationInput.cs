using System.ComponentModel.DataAnnotations;
using RefineWeb.Engine.Text;

namespace RefineWeb.Generation;

/// <summary>What a user asks for (the body of POST /api/v1/generations, the hub's Generate, the page's form).</summary>
public sealed record GenerationInput
{
    /// <summary>What to draw; the only field required. (The attribute marks it so in the OpenAPI document; the checks are <see cref="GenerationLimits"/>.)</summary>
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
    /// <summary>Stop after this many stages (1 = 16 px); null runs them all.</summary>
    public int? Stages { get; init; }
    public int Count { get; init; } = 1;
}

/// <summary>
/// The limits every entry point (page, hub, REST API, and the settings inside an uploaded PNG) enforces before
/// anything is queued or stored: one set of rules, so the same request is accepted or refused the same way everywhere.
/// Comparisons are written so that NaN fails them.
/// </summary>
public static class GenerationLimits
{
    public const int MaxPromptLength = 200, MaxSteps = 100, MaxCount = 4;
    public const double MaxGuidanceScale = 20;

    /// <summary>Field name to messages (ProblemDetails' "errors"); empty when the input is fine.</summary>
    public static Dictionary<string, string[]> Validate(GenerationInput input, int stageCount)
    {
        var errors = new ValidationErrors();
        errors.Prompts(input.Prompt, input.NegativePrompt);
        if (input.Count is < 1 or > MaxCount) errors.Add("count", $"Number of images must be between 1 and {MaxCount}.");
        if (input.Stages is { } stages && (stages < 1 || stages > stageCount)) errors.Add("stages", $"Stages must be between 1 and {stageCount}.");
        errors.Steps(input.Steps, stageCount);
        errors.Guidance(input.GuidanceScale);
        errors.GuidancePerStage(input.GuidanceScales, input.GuidanceScale, stageCount);
        errors.Seed(input.Seed, Math.Clamp(input.Count, 1, MaxCount));
        return errors.ToDictionary();
    }

    /// <summary>Why the prompt cannot be used, or null: empty, too long, a control character, unreadable emphasis.</summary>
    public static string? PromptProblem(string? prompt, string name = "prompt")
    {
        if (string.IsNullOrWhiteSpace(prompt)) return "Type a prompt: what should the picture show?";
        if (prompt.Length > MaxPromptLength) return $"The {name} is {prompt.Length} characters; at most {MaxPromptLength}.";
        if (ControlCharacter(prompt) is { } c) return $"The {name} contains the control character U+{(int)c:X4}; use plain text.";
        return SyntaxError(prompt);
    }

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

    /// <summary>Why the prompt's emphasis syntax, such as (blue:1.4), cannot be read; null when it can.</summary>
    static string? SyntaxError(string prompt)
    {
        try
        {
            return PromptEmphasis.Parse(prompt).Text.Trim().Length == 0 ? "The prompt has no words outside its brackets." : null;
        }
        catch (PromptSyntaxException e)
        {
            return e.Message;
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
        if (!(strength >= RefinementInput.MinStrength && strength <= RefinementInput.MaxStrength))
            Add("strength", $"Strength must be a number between {RefinementInput.MinStrength} and {RefinementInput.MaxStrength}.");
    }

    public Dictionary<string, string[]> ToDictionary() => byField.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
}
