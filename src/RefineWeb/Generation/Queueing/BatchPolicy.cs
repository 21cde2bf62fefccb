using RefineWeb.Engine.Text;

namespace RefineWeb.Generation.Queueing;

/// <summary>
/// Which waiting jobs run next, together: <see cref="FairShare"/>'s order, then dynamic batching. Pure, so the
/// in-memory queue and the Redis one take exactly the same batches from the same waiting jobs.
/// </summary>
public static class BatchPolicy
{
    /// <summary>The next batch (empty when nothing waits), in the order its jobs were picked.</summary>
    public static List<GenerationJob> Next(IReadOnlyList<GenerationJob> waiting, IReadOnlyDictionary<Guid, long> lastServed, int maxImages) =>
        FairShare.Batch(FairShare.Order(waiting, j => j.Owner, lastServed), CanShare, j => j.Seeds.Count, maxImages);

    /// <summary>
    /// Jobs that can share a forward pass. Refinements and upscales run alone (each starts from its own picture and
    /// stage). Emphasized and plain prompts do not mix: emphasis changes the attention and adds a gradient, and a plain
    /// image must come out the same whatever it is batched with.
    /// </summary>
    public static bool CanShare(GenerationJob head, GenerationJob other)
    {
        if (head.Edit is not null || other.Edit is not null) return false;
        GenerationInput a = head.Input, b = other.Input;
        return a.GuidanceScale == b.GuidanceScale && (a.GuidanceScales ?? []).SequenceEqual(b.GuidanceScales ?? []) && a.Stages == b.Stages
            && (a.Steps ?? []).SequenceEqual(b.Steps ?? [])
            && PromptEmphasis.Parse(a.Prompt).Phrases.Count == 0 == (PromptEmphasis.Parse(b.Prompt).Phrases.Count == 0);
    }
}
