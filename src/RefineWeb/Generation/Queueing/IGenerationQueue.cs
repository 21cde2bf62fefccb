namespace RefineWeb.Generation.Queueing;

/// <summary>
/// The web side of the queue: where the page, the hub and the API submit jobs and find them again. One process keeps
/// it in memory (<see cref="GenerationQueue"/>); a cluster keeps it in Redis (<see cref="Redis.RedisGenerationQueue"/>).
/// </summary>
public interface IGenerationQueue
{
    /// <summary>Queues the job, or refuses it (nothing is kept then) when the queue or the session's share is full.</summary>
    EnqueueResult TryEnqueue(GenerationJob job);

    /// <summary>The job with this id, waiting, running or recently finished; null when unknown.</summary>
    GenerationJob? Find(string id);

    /// <summary>The session's jobs waiting or running, oldest first: a job belongs to its session, not to the page that started it.</summary>
    IReadOnlyList<GenerationJob> Unfinished(Guid owner);

    /// <summary>Jobs waiting to start.</summary>
    int Length { get; }

    int MaxQueuedPerSession { get; }

    /// <summary>Jobs cancelled while they waited, counted by this node: they end here and never reach an engine (nor its figures).</summary>
    long Withdrawn { get; }

    /// <summary>Whether a job runs on when this process stops (a cluster's workers have it), so a stopping node need not cancel it.</summary>
    bool OutlivesThisProcess { get; }
}

/// <summary>
/// The engine side of the queue: where the worker takes its next batch and says it is done with it. In a cluster a
/// batch taken and never completed (its worker died) goes to another worker.
/// </summary>
public interface IJobSource
{
    /// <summary>Waits for the next batch (fair share, then dynamic batching); null when <paramref name="stopping"/> fires.</summary>
    Task<IReadOnlyList<GenerationJob>?> TakeAsync(int maxImages, CancellationToken stopping);

    /// <summary>Jobs waiting to start (the worker trims its memory when none do).</summary>
    int Length { get; }

    /// <summary>
    /// Step-level admission: the next batch now, without waiting, when its first job <paramref name="joins"/> the
    /// running ones and its images fit in <paramref name="maxImages"/>; else nothing (the order stays fair: a job that
    /// cannot join is not overtaken, it runs once the running ones end). Empty by default: a cluster's worker leaves
    /// new work to a worker that is idle.
    /// </summary>
    IReadOnlyList<GenerationJob> TakeJoining(int maxImages, Func<GenerationJob, bool> joins) => [];

    /// <summary>
    /// The engine is stopping before these jobs ended. True: they went back to the queue for another engine (a
    /// cluster's worker shutting down); false: nobody else can run them, and the engine tells their owners so.
    /// </summary>
    bool TryHandBack(IReadOnlyList<GenerationJob> unfinished);

    /// <summary>The running batch took a step: a queue that tells waiting jobs their wait may tell them again (at most every second).</summary>
    void Progressed() { }

    /// <summary>Batches this engine took over from an engine that went silent (a cluster's workers; none in one process).</summary>
    long TakenOver => 0;
}

/// <summary><see cref="Unreachable"/>: a cluster's queue (Redis) could not be reached; nothing was queued.</summary>
public enum EnqueueResult { Queued, QueueFull, SessionFull, Unreachable }
