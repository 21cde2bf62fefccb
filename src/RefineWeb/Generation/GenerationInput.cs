using RefineWeb.Engine.Text;

namespace RefineWeb.Generation;

/// <summary>What a user asks for (the body of POST /api/v1/generations, the hub's Generate, the page's form).</summary>
public sealed record GenerationInput
{
    public string Prompt { get; init; } = "";
    public string? NegativePrompt { get; init; }
    /// <summary>Seed of the first image (the others use seed+1, ...); null picks one at random.</summary>
    public long? Seed { get; init; }
    /// <summary>Denoising steps per stage, coarsest first; null or shorter lists take the stages' defaults.</summary>
    public int[]? Steps { get; init; }
    public double? GuidanceScale { get; init; }
    /// <summary>Stop after this many stages (1 = 16 px); null runs them all.</summary>
    public int? Stages { get; init; }
    public int Count { get; init; } = 1;
}

/// <summary>The limits every entry point enforces before anything is queued.</summary>
public static class GenerationLimits
{
    public const int MaxPromptLength = 200, MaxSteps = 100, MaxCount = 4;
    public const double MaxGuidanceScale = 20;

    /// <summary>Field name to messages (ProblemDetails' "errors"); empty when the input is fine.</summary>
    public static Dictionary<string, string[]> Validate(GenerationInput input, int stageCount)
    {
        var errors = new Dictionary<string, string[]>();
        void Add(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field, []), message];
        if (string.IsNullOrWhiteSpace(input.Prompt)) Add("prompt", "Type a prompt: what should the picture show?");
        else if (input.Prompt.Length > MaxPromptLength) Add("prompt", $"The prompt is {input.Prompt.Length} characters; at most {MaxPromptLength}.");
        else if (SyntaxError(input.Prompt) is { } syntax) Add("prompt", syntax);
        if (input.NegativePrompt is { Length: > MaxPromptLength }) Add("negativePrompt", $"The negative prompt is {input.NegativePrompt.Length} characters; at most {MaxPromptLength}.");
        if (input.Count is < 1 or > MaxCount) Add("count", $"Number of images must be between 1 and {MaxCount}.");
        if (input.Stages is { } stages && (stages < 1 || stages > stageCount)) Add("stages", $"Stages must be between 1 and {stageCount}.");
        if (input.Steps is { } steps)
        {
            if (steps.Length > stageCount) Add("steps", $"Give at most {stageCount} step counts, one per stage.");
            if (steps.Any(s => s is < 1 or > MaxSteps)) Add("steps", $"Steps per stage must be between 1 and {MaxSteps}.");
        }
        if (input.GuidanceScale is { } guidance && (double.IsNaN(guidance) || guidance < 0 || guidance > MaxGuidanceScale))
            Add("guidanceScale", $"Guidance scale must be between 0 and {MaxGuidanceScale}.");
        if (input.Seed is < 0) Add("seed", "The seed cannot be negative.");
        return errors;
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
