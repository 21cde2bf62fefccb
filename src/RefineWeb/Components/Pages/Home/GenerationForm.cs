using RefineWeb.Generation;

namespace RefineWeb.Components.Pages.Home;

/// <summary>
/// What the generate form holds, and the request it makes. Left alone, every setting is the loaded model's own
/// default and the request leaves it out, so the page asks exactly what an API call with only a prompt asks.
/// </summary>
public sealed class GenerationForm
{
    /// <summary>One stage of the loaded model as the form offers it: its size, role and defaults.</summary>
    public sealed record StageChoice(string Name, int Resolution, int DefaultSteps, double DefaultGuidance);

    public IReadOnlyList<StageChoice> Stages { get; }

    /// <summary>
    /// The settings the form carries as they are, with no control of their own beyond a plain field (the sampler, and
    /// whatever comes next): restored whole from an image, sent whole with the request.
    /// </summary>
    public GenerationInput Settings { get; set; } = new();

    public string Prompt { get; set; } = "";
    public string NegativePrompt { get; set; } = "";
    public bool RandomSeed { get; set; } = true;
    public long Seed { get; set; } = 1;
    public int Count { get; set; } = 1;
    /// <summary>Stop after this many stages (all by default).</summary>
    public int StageCount { get; set; }
    public int[] Steps { get; }
    public double[] Guidance { get; }

    public GenerationForm(IReadOnlyList<StageChoice> stages)
    {
        Stages = stages;
        StageCount = stages.Count;
        Steps = [.. stages.Select(s => s.DefaultSteps)];
        Guidance = [.. stages.Select(s => s.DefaultGuidance)];
    }

    /// <summary>"16 px (base)", "32 px", ..., "256 px (all stages)": what each stop in the cascade gives.</summary>
    public IReadOnlyList<(int Stages, string Label)> StopAtChoices =>
        [.. Stages.Select((s, i) => (i + 1, $"{s.Resolution} px{(i == 0 ? " (base)" : i == Stages.Count - 1 && i > 0 ? " (all stages)" : "")}"))];

    /// <summary>Whether any stage that runs has guidance other than its default (then the request carries it, per stage).</summary>
    public bool GuidanceChanged => Enumerable.Range(0, Math.Min(StageCount, Stages.Count)).Any(i => Guidance[i] != Stages[i].DefaultGuidance);

    bool StepsChanged => Enumerable.Range(0, Math.Min(StageCount, Stages.Count)).Any(i => Steps[i] != Stages[i].DefaultSteps);

    /// <summary>The request: settings left at their defaults are left out, as an API client would.</summary>
    public GenerationInput ToInput() => Settings with
    {
        Prompt = Prompt,
        NegativePrompt = NegativePrompt,
        Count = Count,
        Seed = RandomSeed ? null : Seed,
        Stages = StageCount == Stages.Count ? null : StageCount,
        Steps = StepsChanged ? Steps[..StageCount] : null,
        GuidanceScale = null, // the form sets guidance per stage
        GuidanceScales = GuidanceChanged ? Guidance[..StageCount] : null,
    };

    /// <summary>Settings kept in an image (a dropped PNG of ours, or "reuse" from the gallery) back into the form.</summary>
    public void Restore(ImageParameters parameters)
    {
        Settings = GenerationInput.Of(parameters);
        Prompt = parameters.Prompt;
        NegativePrompt = parameters.NegativePrompt ?? "";
        if (parameters.Seed is { } kept) (Seed, RandomSeed) = (kept, false);
        if (parameters.Stages is { } s && s >= 1 && s <= Stages.Count) StageCount = s;
        if (parameters.Steps is { } steps)
            for (int i = 0; i < Math.Min(steps.Length, Steps.Length); i++) Steps[i] = Math.Clamp(steps[i], 1, GenerationLimits.MaxSteps);
        for (int i = 0; i < Guidance.Length; i++)
        {
            double? restored = parameters.GuidanceScales is { } perStage ? (i < perStage.Length ? perStage[i] : null) : parameters.GuidanceScale;
            Guidance[i] = restored is { } g && GenerationLimits.ValidGuidance(g) ? g : Stages[i].DefaultGuidance;
        }
    }

    /// <summary>A running job's request back into the form (the page opened again while it runs).</summary>
    public void Resume(GenerationInput request)
    {
        Settings = request; // what the form has no control for (the sampler); ToInput sets the rest from the fields
        Prompt = request.Prompt;
        NegativePrompt = request.NegativePrompt ?? "";
        // The seed stays as the form had it (random by default): the job's own seed is shown as the last one used.
        Count = request.Count;
        if (request.Stages is { } s && s >= 1 && s <= Stages.Count) StageCount = s;
        if (request.Steps is { } steps)
            for (int i = 0; i < Math.Min(steps.Length, Steps.Length); i++) Steps[i] = steps[i];
        for (int i = 0; i < Guidance.Length; i++)
            if ((request.GuidanceScales is { } perStage ? (i < perStage.Length ? perStage[i] : null) : request.GuidanceScale) is { } g) Guidance[i] = g;
    }

    /// <summary>Every setting back to the model's defaults (the prompt stays).</summary>
    public void ResetSettings()
    {
        StageCount = Stages.Count;
        Settings = new();
        for (int i = 0; i < Stages.Count; i++) (Steps[i], Guidance[i]) = (Stages[i].DefaultSteps, Stages[i].DefaultGuidance);
    }
}
