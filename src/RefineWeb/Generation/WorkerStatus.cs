namespace RefineWeb.Generation;

/// <summary>
/// One engine's figures as it last told them (posted to the status board, <see cref="Operations.IWorkerBoard"/>): totals since it started, which the status
/// page and the metrics turn into rates by difference, and what it is running now. The same record in one process and
/// in a cluster, where each worker process tells its own.
/// </summary>
public sealed record WorkerStatus
{
    public required string Name { get; init; }

    /// <summary>When it told these figures; a worker silent for three intervals counts as gone.</summary>
    public required DateTimeOffset At { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>The batch it runs now: jobs and images (0 when idle), and the stage it is in.</summary>
    public int BatchJobs { get; init; }
    public int BatchImages { get; init; }
    public string? Stage { get; init; }

    public long Images { get; init; }
    public long Succeeded { get; init; }
    public long Failed { get; init; }
    public long Cancelled { get; init; }

    /// <summary>Batches it took over from a worker that went silent (a cluster's only).</summary>
    public long TakenOver { get; init; }

    public long PreviewsSent { get; init; }
    public long PreviewsDropped { get; init; }

    /// <summary>Sum and count of the waits, submission to batch start, of the jobs it started.</summary>
    public double QueueWaitSeconds { get; init; }
    public long QueueWaits { get; init; }

    /// <summary>Steps taken and their wall time, by stage name (as the model names its stages).</summary>
    public IReadOnlyDictionary<string, StageTotals> Steps { get; init; } = new Dictionary<string, StageTotals>();

    public bool IsAlive(DateTimeOffset now, TimeSpan interval) => now - At <= 3 * interval;

    /// <summary>Whether <paramref name="later"/> is the same run of this worker told again (not a restart, whose totals start over).</summary>
    public bool SameRun(WorkerStatus later) => later.Name == Name && later.StartedAt == StartedAt;
}

/// <summary>Steps a stage took and their wall time in milliseconds.</summary>
public sealed record StageTotals(long Steps, double Milliseconds);
