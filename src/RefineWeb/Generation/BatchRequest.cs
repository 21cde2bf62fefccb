using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Text;

namespace RefineWeb.Generation;

/// <summary>
/// What the engine is asked to make for a batch: one row per image, each with its own job's prompt, emphasis,
/// negative prompt and seed; the settings every job of a batch shares (<see cref="Queueing.BatchPolicy"/> made them
/// equal) from its first job. Pure: no model, no tensors.
/// </summary>
public static class BatchRequest
{
    /// <summary>Every image of the batch, jobs in batch order, each job's seeds in order.</summary>
    public static List<(GenerationJob Job, long Seed)> Rows(IReadOnlyList<GenerationJob> batch) =>
        [.. batch.SelectMany(job => job.Seeds.Select(seed => (job, seed)))];

    public static CascadeRequest For(IReadOnlyList<GenerationJob> batch)
    {
        var rows = Rows(batch);
        var settings = batch[0].Input;
        return new CascadeRequest
        {
            Prompt = ModelText(settings.Prompt),
            ItemPrompts = [.. rows.Select(r => ModelText(r.Job.Input.Prompt))],
            ItemEmphasis = [.. rows.Select(r => Emphasis(r.Job.Input.Prompt).Phrases)],
            ItemNegativePrompts = [.. rows.Select(r => r.Job.Input.NegativePrompt ?? "")],
            Seeds = [.. rows.Select(r => r.Seed)],
            StepsPerStage = settings.Steps,
            GuidanceScale = settings.GuidanceScale,
            GuidancePerStage = settings.GuidanceScales,
            StageCount = settings.Stages,
        };
    }

    /// <summary>The words the model reads: emphasis syntax such as (blue:1.4) taken out (validated at submission).</summary>
    public static string ModelText(string prompt) => PromptEmphasis.Parse(prompt).Text;

    public static EmphasizedPrompt Emphasis(string prompt) => PromptEmphasis.Parse(prompt);
}
