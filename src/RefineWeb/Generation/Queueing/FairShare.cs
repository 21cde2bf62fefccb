namespace RefineWeb.Generation.Queueing;

/// <summary>
/// The order jobs are served in, both in one process and across a cluster: round-robin between sessions. The next
/// job comes from the session that has waited longest since it was last served (a session never served comes first,
/// then by its oldest waiting job), each session's own jobs in the order it sent them. Pure: the in-memory queue and
/// the Redis one call the same functions, so a queue position means the same thing in both.
/// </summary>
public static class FairShare
{
    /// <summary>
    /// Every waiting job in the order it will be served. <paramref name="waiting"/> is in arrival order;
    /// <paramref name="lastServed"/> holds, per session, an increasing number stamped when it was last served.
    /// </summary>
    public static List<T> Order<T>(IReadOnlyList<T> waiting, Func<T, Guid> owner, IReadOnlyDictionary<Guid, long> lastServed)
    {
        var bySession = new List<(Guid Owner, Queue<T> Jobs)>();
        var index = new Dictionary<Guid, int>();
        foreach (var job in waiting)
        {
            var who = owner(job);
            if (!index.TryGetValue(who, out int at))
            {
                index[who] = at = bySession.Count;
                bySession.Add((who, new Queue<T>()));
            }
            bySession[at].Jobs.Enqueue(job);
        }
        // Longest wait since last served first; sessions never served before all others, by their oldest job (a stable sort keeps arrival order).
        var turns = new Queue<Queue<T>>(bySession.OrderBy(s => lastServed.TryGetValue(s.Owner, out long served) ? served : long.MinValue).Select(s => s.Jobs));
        var order = new List<T>(waiting.Count);
        while (turns.TryDequeue(out var jobs))
        {
            order.Add(jobs.Dequeue());
            if (jobs.Count > 0) turns.Enqueue(jobs); // served: to the back of the line
        }
        return order;
    }

    /// <summary>
    /// The next batch from jobs in serving order: the first, then later ones that may share its forward pass while
    /// their images fit in <paramref name="maxImages"/> (a job alone may be larger).
    /// </summary>
    public static List<T> Batch<T>(IReadOnlyList<T> ordered, Func<T, T, bool> canShare, Func<T, int> images, int maxImages)
    {
        if (ordered.Count == 0) return [];
        var head = ordered[0];
        var batch = new List<T> { head };
        int count = images(head);
        foreach (var job in ordered.Skip(1))
            if (count + images(job) <= maxImages && canShare(head, job))
            {
                batch.Add(job);
                count += images(job);
            }
        return batch;
    }
}
