using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace RefineWeb.Generation.Queueing.Redis;

/// <summary>
/// A worker's side of the cluster's queue. It takes, in this order: a batch no worker has read yet; a batch whose
/// worker went silent (run again from the start, same seeds, so the same bytes); else it moves the next fair batch
/// out of the waiting jobs. While a batch runs it heartbeats; each job's events go to Redis as they happen; once
/// every job of the batch has ended (its images stored) the batch is acknowledged. A batch handed out more than
/// <see cref="EngineOptions.MaxAttempts"/> times fails with the workers it failed on.
/// </summary>
public sealed class RedisJobSource : IJobSource, IJobRelay, IDisposable
{
    /// <summary>A batch this worker runs: its stream entry and the jobs of it that have not ended yet.</summary>
    sealed class Running(RedisValue entryId, IEnumerable<string> jobIds)
    {
        public RedisValue EntryId { get; } = entryId;
        public HashSet<string> Unfinished { get; } = [.. jobIds];
    }

    readonly RedisJobStore store;
    readonly EngineOptions engine;
    readonly string worker;
    readonly ILogger<RedisJobSource> log;
    readonly SemaphoreSlim arrived = new(0);
    readonly ConcurrentDictionary<string, (GenerationJob Job, Running Batch)> jobs = new();
    readonly Task<ChannelMessageQueue?>[] subscriptions;
    readonly CancellationTokenSource disposed = new();
    readonly ConcurrentDictionary<string, bool> watched = new();
    readonly Timer heartbeat;
    Task? groupReady;

    public RedisJobSource(RedisJobStore store, IOptions<EngineOptions> engine, IOptions<GenerationOptions> generation, ILogger<RedisJobSource> log)
    {
        this.store = store;
        this.engine = engine.Value;
        this.log = log;
        worker = generation.Value.ResolvedWorkerName;
        subscriptions =
        [
            store.SubscribeAsync(store.Arrivals, _ => arrived.Release(), log, disposed.Token),
            store.SubscribeAsync(store.Cancels, message =>
            {
                if (jobs.TryGetValue(message.Message!, out var running)) running.Job.CancelLocally();
            }, log, disposed.Token),
            store.SubscribeAsync(store.Watches, message =>
            {
                if (jobs.ContainsKey(message.Message!)) watched[message.Message!] = true;
            }, log, disposed.Token),
        ];
        var every = TimeSpan.FromSeconds(this.engine.HeartbeatSeconds);
        heartbeat = new Timer(_ => Heartbeat(), null, every, every);
    }

    public int Length => (int)store.Length;

    long takenOver;

    public long TakenOver => Interlocked.Read(ref takenOver);

    public async Task<IReadOnlyList<GenerationJob>?> TakeAsync(int maxImages, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await (groupReady ??= store.EnsureGroupAsync());
                var entry = await store.ReadNewAsync(worker);
                if (entry is null && await store.ReclaimAsync(worker) is { } reclaimed)
                {
                    entry = reclaimed;
                    Interlocked.Increment(ref takenOver);
                }
                if (entry is { } taken)
                {
                    if (await OpenAsync(taken) is { Count: > 0 } batch) return batch;
                    continue;
                }
                if (await store.MoveNextBatchAsync(maxImages)) continue; // it is in the stream now: read it (or the next one)
                // Nothing to do: wait for an arrival, and look again now and then for batches of dead workers.
                await arrived.WaitAsync(TimeSpan.FromSeconds(Math.Min(0.5, engine.ReclaimAfterSeconds / 2)), stopping);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (Exception e) when (e is RedisException or RedisTimeoutException)
            {
                if (groupReady is { IsFaulted: true }) groupReady = null; // Redis was down when the group was first made: make it again
                log.LogWarning("Redis is unreachable ({Reason}); trying again", e.Message);
                await Task.Delay(1000, stopping).ContinueWith(_ => { });
            }
        }
        return null;
    }

    /// <summary>The jobs of a batch entry this worker now holds, ready to run; empty when there is nothing left to run.</summary>
    async Task<List<GenerationJob>> OpenAsync(StreamEntry entry)
    {
        var ids = ((string)entry["jobs"]!).Split(',', StringSplitOptions.RemoveEmptyEntries);
        int attempt = await store.DeliveriesAsync(entry.Id);
        if (attempt > 1 && ids.Length > 1)
        {
            // A batch whose worker died: one of its jobs may be what killed it. Each goes on alone, so only a culprit fails (as in one process).
            await store.SplitAsync(entry.Id, ids);
            return [];
        }
        var batch = new List<GenerationJob>();
        var running = new Running(entry.Id, []);
        foreach (var id in ids)
        {
            if (await store.ReadAsync(id) is not { } stored || stored.Latest.IsFinal) continue;
            var workers = await store.WorkersAsync(id);
            var job = stored.Spec.ToJob();
            if (attempt > engine.MaxAttempts)
            {
                // Every worker that took it died: the batch itself kills workers. It fails; the queue goes on.
                await store.PublishAsync(id, new GenerationEvent
                {
                    JobId = id, Status = GenerationStatus.Failed, Attempt = attempt - 1, Worker = workers.LastOrDefault(),
                    Error = $"Failed on {workers.Length} workers ({string.Join(", ", workers)}): each stopped while running it. It will not be tried again; try other settings.",
                });
                continue;
            }
            await store.RecordWorkerAsync(id, worker);
            job.RunningOn = (worker, attempt);
            job.Relay = this;
            if (stored.CancelRequested) job.CancelLocally();
            running.Unfinished.Add(id);
            jobs[id] = (job, running);
            if (await store.IsWatchedAsync(id)) watched[id] = true; // read after joining `jobs`: a watch announced from now on is not missed
            batch.Add(job);
        }
        if (batch.Count == 0)
        {
            await store.AcknowledgeAsync(entry.Id);
            return batch;
        }
        if (attempt > 1) log.LogWarning("Took over batch {Entry} ({Jobs} jobs), attempt {Attempt}", entry.Id, batch.Count, attempt);
        if (!string.IsNullOrEmpty(engine.CrashOnPrompt) && batch.Any(j => j.Request.Prompt == engine.CrashOnPrompt))
        {
            log.LogCritical("Fault injection: a job asks for Engine:CrashOnPrompt; this worker dies now");
            Process.GetCurrentProcess().Kill();
        }
        return batch;
    }

    /// <summary>
    /// The worker is shutting down mid-batch: its jobs go back into the stream at once (no event: their watchers
    /// simply see the next worker start them), instead of waiting out the reclaim time.
    /// </summary>
    public bool TryHandBack(IReadOnlyList<GenerationJob> unfinished)
    {
        var entries = new HashSet<RedisValue>();
        foreach (var job in unfinished)
        {
            job.Relay = null; // whatever this worker still had queued for it stays here
            if (jobs.TryRemove(job.Id, out var running)) entries.Add(running.Batch.EntryId);
            watched.TryRemove(job.Id, out _);
        }
        try
        {
            foreach (var entry in entries) store.SplitAsync(entry, unfinished.Select(j => j.Id)).GetAwaiter().GetResult();
            log.LogInformation("Stopping: handed {Jobs} unfinished jobs back to the queue", unfinished.Count);
            return true;
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException)
        {
            log.LogWarning(e, "Could not hand the unfinished jobs back; another worker will take them over once this one is silent");
            return true; // still not ours to end: the batch stays pending and is reclaimed
        }
    }

    void Heartbeat()
    {
        var entries = jobs.Values.Select(r => r.Batch.EntryId).Distinct().ToArray();
        if (entries.Length == 0) return;
        store.HeartbeatAsync(worker, entries).ContinueWith(t => log.LogWarning(t.Exception, "Heartbeat failed"), TaskContinuationOptions.OnlyOnFaulted);
    }

    bool IJobRelay.IsWatchedElsewhere(GenerationJob job) => watched.ContainsKey(job.Id);

    void IJobRelay.Watching(GenerationJob job)
    {
        // Nobody listens to a worker's own copy.
    }

    void IJobRelay.Published(GenerationJob job, GenerationEvent update)
    {
        if (!update.IsFinal)
        {
            // A step's event lost while Redis is down is superseded by the next one: not worth waiting for.
            _ = store.PublishAsync(job.Id, update).ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            return;
        }
        var sent = PublishFinalAsync(job.Id, update);
        if (!jobs.TryRemove(job.Id, out var running)) return;
        watched.TryRemove(job.Id, out _);
        bool batchDone;
        lock (running.Batch)
        {
            running.Batch.Unfinished.Remove(job.Id);
            batchDone = running.Batch.Unfinished.Count == 0;
        }
        // Acknowledged only once the final event is stored: until then (a dead worker, or Redis refusing that event)
        // the batch stays pending, goes silent, and another worker runs it again to the same result rows.
        if (batchDone)
            sent.ContinueWith(t => t.IsCompletedSuccessfully ? store.AcknowledgeAsync(running.Batch.EntryId) : Task.CompletedTask).Unwrap()
                .ContinueWith(t => log.LogError(t.Exception, "Could not acknowledge batch {Entry}", running.Batch.EntryId), TaskContinuationOptions.OnlyOnFaulted);
    }

    /// <summary>How long a job's final event is offered to an unreachable Redis before the batch is left to be taken over.</summary>
    static readonly TimeSpan FinalEventPatience = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A job's final event, sent again every second while Redis is unreachable (an outage must not cost the job: its
    /// images are stored already). Faults only after <see cref="FinalEventPatience"/>; the batch then stays pending
    /// and is run again elsewhere, to the same rows.
    /// </summary>
    async Task PublishFinalAsync(string id, GenerationEvent update)
    {
        var deadline = DateTime.UtcNow + FinalEventPatience;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await store.PublishAsync(id, update);
                if (attempt > 1) log.LogInformation("Redis is back: delivered the end of generation {Job} after {Attempts} tries", id, attempt);
                return;
            }
            catch (Exception e) when ((e is RedisException or RedisTimeoutException) && DateTime.UtcNow < deadline && !disposed.IsCancellationRequested)
            {
                if (attempt == 1) log.LogWarning("Redis is unreachable ({Reason}); keeps trying to deliver the end of generation {Job}", e.Message, id);
                try { await Task.Delay(1000, disposed.Token); } catch (OperationCanceledException) { }
            }
        }
    }

    void IJobRelay.CancelRequested(GenerationJob job)
    {
        // A worker's own copies are cancelled only from the cluster (CancelLocally); nothing to forward.
    }

    public void Dispose()
    {
        heartbeat.Dispose();
        disposed.Cancel();
        foreach (var subscription in subscriptions)
            if (subscription is { IsCompletedSuccessfully: true, Result: { } queue }) queue.Unsubscribe();
    }
}
