using System.Collections.Concurrent;
using StackExchange.Redis;

namespace RefineWeb.Generation.Queueing.Redis;

/// <summary>
/// A web node's view of the cluster's queue. Submissions go to Redis; a job found by id (submitted here or on any
/// other node, before or after a restart) is read back from Redis and kept in step with the events every worker
/// publishes, so the page, the hub and the API follow it exactly as a job of this process. Cancelling it reaches
/// the worker running it.
/// </summary>
public sealed class RedisGenerationQueue : IGenerationQueue, IJobRelay, IDisposable
{
    /// <summary>A job this node follows, and the sequence number of the last event applied (older ones are dropped).</summary>
    sealed class Followed(GenerationJob job)
    {
        public GenerationJob Job { get; } = job;
        public long Seq;
        public long HeardAt = Environment.TickCount64;
    }

    /// <summary>A followed job silent this long is read back from Redis: pub/sub loses what is sent while a connection is down.</summary>
    static readonly TimeSpan Resync = TimeSpan.FromSeconds(2);

    readonly RedisJobStore store;
    readonly ILogger<RedisGenerationQueue> log;
    readonly ConcurrentDictionary<string, Followed> followed = new();
    readonly Task<ChannelMessageQueue?> events;
    readonly CancellationTokenSource disposed = new();
    readonly Timer resync;

    public RedisGenerationQueue(RedisJobStore store, ILogger<RedisGenerationQueue> log)
    {
        this.store = store;
        this.log = log;
        events = store.SubscribeAsync(store.Events, message => Apply(message.Message!), log, disposed.Token);
        resync = new Timer(_ => _ = Logged(ResyncAsync(), "read back silent jobs"), null, Resync, Resync);
    }

    async Task ResyncAsync()
    {
        long now = Environment.TickCount64;
        foreach (var entry in followed.Values.Where(f => now - Volatile.Read(ref f.HeardAt) > Resync.TotalMilliseconds).ToList())
        {
            if (await store.ReadAsync(entry.Job.Id) is { } stored) Apply(entry, stored.Seq, stored.Latest);
            else followed.TryRemove(entry.Job.Id, out _); // expired
            if (entry.Job.Latest.IsFinal) followed.TryRemove(entry.Job.Id, out _);
        }
    }

    public bool OutlivesThisProcess => true;

    public int MaxQueuedPerSession => store.MaxQueuedPerSession;

    public int Length => (int)store.Length;

    public EnqueueResult TryEnqueue(GenerationJob job)
    {
        job.Relay = this;
        followed.TryAdd(job.Id, new Followed(job)); // before Redis has it: no event of it can arrive unheard
        EnqueueResult result;
        try
        {
            result = store.Enqueue(job);
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException)
        {
            log.LogWarning(e, "Could not queue generation {JobId}: Redis is unreachable", job.Id);
            result = EnqueueResult.Unreachable; // the caller says so (503, the hub's message, the page's warning); nothing is kept
        }
        if (result != EnqueueResult.Queued)
        {
            followed.TryRemove(job.Id, out _);
            return result;
        }
        // Someone listened before the job was queued (the hub follows from "queued" on): workers encode its previews.
        if (job.ListenerCount > 0) ((IJobRelay)this).Watching(job);
        try
        {
            // The submitter's answer carries its place, as in one process (the event on its way from Redis says the same).
            // On the thread pool: a page's circuit calls this on its own synchronization context, which the wait would deadlock.
            int position = Task.Run(store.PublishPositionsAsync).GetAwaiter().GetResult().IndexOf(job.Id);
            if (position >= 0) job.Publish(job.Latest with { QueuePosition = position });
        }
        catch (RedisException e)
        {
            log.LogWarning(e, "Could not publish queue positions");
        }
        return result;
    }

    public GenerationJob? Find(string id)
    {
        if (followed.TryGetValue(id, out var known)) return known.Job;
        if (store.Read(id) is not { } stored) return null;
        var job = stored.Spec.ToJob();
        job.Relay = this;
        var entry = followed.GetOrAdd(id, _ => new Followed(job));
        Apply(entry, stored.Seq, stored.Latest);
        if (entry.Job.Latest.IsFinal) followed.TryRemove(id, out _); // nothing more will happen to it: read it again next time
        return entry.Job;
    }

    public IReadOnlyList<GenerationJob> Unfinished(Guid owner) =>
        [.. store.UnfinishedIds(owner).Select(Find).OfType<GenerationJob>().Where(j => j.Owner == owner && !j.Latest.IsFinal)];

    void Apply(string message)
    {
        try
        {
            var (seq, update) = RedisJobStore.ParseMessage(message);
            if (followed.TryGetValue(update.JobId, out var entry))
            {
                Apply(entry, seq, update);
                if (update.IsFinal) followed.TryRemove(update.JobId, out _);
            }
        }
        catch (Exception e)
        {
            log.LogError(e, "Could not apply a job event from Redis");
        }
    }

    static void Apply(Followed entry, long seq, GenerationEvent update)
    {
        lock (entry)
        {
            Volatile.Write(ref entry.HeardAt, Environment.TickCount64);
            if (seq <= entry.Seq && entry.Seq > 0) return; // already applied, or older than what this node has
            entry.Seq = seq;
            entry.Job.Publish(update);
        }
    }

    bool IJobRelay.IsWatchedElsewhere(GenerationJob job) => false; // a web node encodes nothing

    void IJobRelay.Watching(GenerationJob job) => _ = Logged(store.WatchingAsync(job.Id), $"mark generation {job.Id} watched");

    void IJobRelay.Published(GenerationJob job, GenerationEvent update)
    {
        // Events reach a web node's copy from the workers; nothing to send back.
    }

    void IJobRelay.CancelRequested(GenerationJob job) => _ = Logged(WithdrawOrStopAsync(job), $"cancel generation {job.Id}");

    async Task WithdrawOrStopAsync(GenerationJob job)
    {
        if (await store.CancelAsync(job)) Interlocked.Increment(ref withdrawn);
    }

    long withdrawn;

    public long Withdrawn => Interlocked.Read(ref withdrawn);

    async Task Logged(Task task, string what)
    {
        try
        {
            await task;
        }
        catch (Exception e)
        {
            log.LogError(e, "Could not {What} in Redis", what);
        }
    }

    public void Dispose()
    {
        resync.Dispose();
        disposed.Cancel();
        if (events is { IsCompletedSuccessfully: true, Result: { } subscription }) subscription.Unsubscribe();
    }
}
