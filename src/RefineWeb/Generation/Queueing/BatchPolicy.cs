using RefineWeb.Engine.Requests;

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

    /// <summary>Jobs that can share a forward pass: their requests say so (<see cref="ImageRequest.CanShareBatchWith"/>).</summary>
    public static bool CanShare(GenerationJob head, GenerationJob other) => head.Request.CanShareBatchWith(other.Request);
}
