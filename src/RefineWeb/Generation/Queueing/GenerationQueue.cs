using Microsoft.Extensions.Options;

namespace RefineWeb.Generation.Queueing;

/// <summary>
/// The queue of one process, between the entry points (page, hub, API) and its engine. Full means full: the caller
/// gets a refusal (429 from the API) instead of an ever longer wait, and one session may hold at most
/// <see cref="GenerationOptions.MaxQueuedPerSession"/> waiting jobs. Jobs are served by <see cref="BatchPolicy"/>
/// (round-robin between sessions, then batching), and every waiting job hears its place in that order.
/// </summary>
public sealed class GenerationQueue(IOptions<GenerationOptions> options, GenerationTiming? timing = null) : IGenerationQueue, IJobSource
{
    /// <summary>Finished jobs stay findable (status polling) until this many newer jobs have arrived.</summary>
    internal const int KeepFinished = 1000;

    readonly Lock gate = new();
    readonly List<GenerationJob> waiting = []; // arrival order
    readonly Dictionary<Guid, long> lastServed = [];
    readonly HashSet<GenerationJob> running = []; // taken by the engine, not ended yet: ahead of every waiting job
    readonly Dictionary<string, GenerationJob> jobs = [];
    readonly Queue<GenerationJob> arrivals = []; // every known job, oldest first: pruning looks only at its head
    readonly SemaphoreSlim arrived = new(0);
    long served;

    public int Length
    {
        get { lock (gate) return waiting.Count; }
    }

    /// <summary>Jobs kept for lookup (waiting, running, and recently finished).</summary>
    internal int Known
    {
        get { lock (gate) return jobs.Count; }
    }

    public bool OutlivesThisProcess => false;

    public int MaxQueuedPerSession => options.Value.MaxQueuedPerSession;

    public EnqueueResult TryEnqueue(GenerationJob job)
    {
        lock (gate)
        {
            if (waiting.Count >= options.Value.QueueCapacity) return EnqueueResult.QueueFull;
            if (waiting.Count(j => j.Owner == job.Owner) >= options.Value.MaxQueuedPerSession) return EnqueueResult.SessionFull;
            waiting.Add(job);
            jobs[job.Id] = job;
            arrivals.Enqueue(job);
            PruneFinished();
            PublishPositions(onlyIfChanged: true); // a new session's job goes ahead of a busy session's later ones
        }
        // Cancelled while waiting: it ends now, not when the engine next looks (off the canceller's thread, which holds the job's lock).
        job.CancellationToken.Register(() => ThreadPool.QueueUserWorkItem(_ => Withdraw(job)));
        arrived.Release();
        return EnqueueResult.Queued;
    }

    public GenerationJob? Find(string id)
    {
        lock (gate) return jobs.GetValueOrDefault(id);
    }

    public IReadOnlyList<GenerationJob> Unfinished(Guid owner)
    {
        lock (gate) return [.. arrivals.Where(j => j.Owner == owner && !j.Latest.IsFinal)];
    }

    public async Task<IReadOnlyList<GenerationJob>?> TakeAsync(int maxImages, CancellationToken stopping)
    {
        while (true)
        {
            if (TryTake(maxImages) is { Count: > 0 } batch) return batch;
            try
            {
                await arrived.WaitAsync(stopping);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    /// <summary>The next batch now, or an empty list.</summary>
    internal List<GenerationJob> TryTake(int maxImages)
    {
        lock (gate)
        {
            var batch = BatchPolicy.Next(waiting, lastServed, maxImages);
            waiting.RemoveAll(batch.Contains);
            // One engine takes from this queue: once it asks again, the batch before is done (only its storing may remain).
            running.Clear();
            running.UnionWith(batch);
            foreach (var job in batch) lastServed[job.Owner] = ++served;
            if (batch.Count > 0) PublishPositions(onlyIfChanged: true);
            return batch;
        }
    }

    public IReadOnlyList<GenerationJob> TakeJoining(int maxImages, Func<GenerationJob, bool> joins)
    {
        lock (gate)
        {
            if (waiting.Count == 0 || maxImages < 1) return [];
            var batch = BatchPolicy.Next(waiting, lastServed, maxImages);
            if (batch.Count == 0 || batch.Sum(job => job.Seeds.Count) > maxImages || !batch.All(joins)) return [];
            waiting.RemoveAll(batch.Contains);
            running.RemoveWhere(job => job.Latest.IsFinal);
            running.UnionWith(batch); // beside the jobs already running: they have not ended
            foreach (var job in batch) lastServed[job.Owner] = ++served;
            PublishPositions(onlyIfChanged: true);
            return batch;
        }
    }

    long withdrawn;

    public long Withdrawn
    {
        get { lock (gate) return withdrawn; }
    }

    /// <summary>One process: when its engine stops, nobody else will run the job.</summary>
    public bool TryHandBack(IReadOnlyList<GenerationJob> unfinished) => false;

    /// <summary>A job cancelled while still waiting leaves the queue, cancelled, without running (a no-op once it started).</summary>
    void Withdraw(GenerationJob job)
    {
        lock (gate)
        {
            if (!waiting.Remove(job)) return;
            withdrawn++;
            PublishPositions(onlyIfChanged: true);
        }
        job.Publish(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Cancelled });
    }

    /// <summary>
    /// Tells each waiting job how many jobs will run before it (those running now included: "2 ahead of you" means
    /// two), its place among the waiting (the same count without the running ones), and about how long until it
    /// starts (under the lock). The batches ahead are the ones the engine will take: <see cref="BatchPolicy"/> is
    /// replayed on the waiting jobs, so a compatible job that will join an earlier batch is counted where it runs.
    /// </summary>
    void PublishPositions(bool onlyIfChanged = false)
    {
        running.RemoveWhere(job => job.Latest.IsFinal); // an idle engine's last batch is behind everyone
        var pending = waiting.ToList();
        var servedAt = new Dictionary<Guid, long>(lastServed);
        long stamp = served;
        var batchesAhead = new List<IReadOnlyList<Engine.Requests.ImageRequest>>();
        int waitingAhead = 0;
        while (pending.Count > 0)
        {
            var batch = BatchPolicy.Next(pending, servedAt, options.Value.MaxBatchImages);
            if (batch.Count == 0) break;
            var wait = timing?.SecondsUntilStart(batchesAhead);
            foreach (var job in batch)
            {
                int jobsAhead = running.Count + waitingAhead;
                var last = job.Latest;
                // A wait that moved by a second or more is told again: the countdown moves with the running batch.
                bool waitChanged = wait.HasValue != last.SecondsUntilStart.HasValue || Math.Abs((wait ?? 0) - (last.SecondsUntilStart ?? 0)) >= 1;
                if (!onlyIfChanged || last.QueuePosition != waitingAhead || last.JobsAhead != jobsAhead || waitChanged)
                    job.Publish(last with { QueuePosition = waitingAhead, JobsAhead = jobsAhead, SecondsUntilStart = wait });
            }
            pending.RemoveAll(batch.Contains);
            foreach (var job in batch) servedAt[job.Owner] = ++stamp;
            batchesAhead.Add([.. batch.Select(j => j.Request)]);
            waitingAhead += batch.Count;
        }
    }

    long lastProgressed;

    /// <summary>The running batch took a step: the waits are told again, at most every second.</summary>
    public void Progressed()
    {
        long now = Environment.TickCount64;
        if (now - Interlocked.Read(ref lastProgressed) < 1000) return;
        Interlocked.Exchange(ref lastProgressed, now);
        lock (gate) PublishPositions(onlyIfChanged: true);
    }

    /// <summary>Forgets the oldest finished jobs beyond <see cref="KeepFinished"/>, in arrival order (no sorting under the lock).</summary>
    void PruneFinished()
    {
        while (arrivals.Count > KeepFinished && arrivals.Peek().Latest.IsFinal) jobs.Remove(arrivals.Dequeue().Id);
    }
}
