using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace RefineWeb.Generation.Queueing.Redis;

/// <summary>
/// Jobs in Redis, shared by web nodes and workers. Waiting jobs sit in a sorted set (arrival order) until a worker
/// picks a batch by <see cref="BatchPolicy"/>; the batch then moves, in one script, into a stream read by the
/// "workers" consumer group: delivered to one worker, acknowledged only once its results are stored, and reclaimed
/// (XAUTOCLAIM) by another worker when its own stops heartbeating. Each job is a hash (its spec, its latest event,
/// an event sequence number); every event also goes out on one pub/sub channel to the web nodes. The checks and
/// moves that must not interleave between processes are Lua scripts (atomic in Redis).
/// </summary>
public sealed class RedisJobStore(IConnectionMultiplexer redis, IOptions<EngineOptions> engine, IOptions<GenerationOptions> generation)
{
    public const string Group = "workers";

    readonly string prefix = engine.Value.KeyPrefix;
    IDatabase Db => redis.GetDatabase();

    internal RedisKey Batches => prefix + "batches";
    RedisKey Waiting => prefix + "waiting";
    RedisKey WaitingPerSession => prefix + "waiting-per-session";
    RedisKey Served => prefix + "served";
    RedisKey Counter => prefix + "counter";
    RedisKey Job(string id) => prefix + "job:" + id;
    RedisKey SessionJobs(Guid owner) => prefix + "session-jobs:" + owner.ToString("N");
    public RedisChannel Events => RedisChannel.Literal(prefix + "events");
    public RedisChannel Cancels => RedisChannel.Literal(prefix + "cancels");
    public RedisChannel Arrivals => RedisChannel.Literal(prefix + "arrivals");
    public RedisChannel Watches => RedisChannel.Literal(prefix + "watches");

    public ISubscriber Subscriber => redis.GetSubscriber();

    /// <summary>
    /// Subscribes <paramref name="handler"/> (called one message at a time, in order) once Redis can be reached,
    /// trying again every second until then: a process may start while Redis is down. Once subscribed, the client
    /// subscribes again by itself after a reconnect.
    /// </summary>
    public async Task<ChannelMessageQueue?> SubscribeAsync(RedisChannel channel, Action<ChannelMessage> handler, ILogger log, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var queue = await Subscriber.SubscribeAsync(channel);
                queue.OnMessage(handler);
                return queue;
            }
            catch (Exception e) when (e is RedisException or RedisTimeoutException)
            {
                log.LogWarning("Could not subscribe to {Channel}: {Reason}; trying again", channel, e.Message);
                try { await Task.Delay(1000, stop); } catch (OperationCanceledException) { }
            }
        }
        return null;
    }

    /// <summary>Events as the API writes them (camelCase, statuses by name); previews as base64.</summary>
    static readonly JsonSerializerOptions EventJson = JobSpec.Json;

    /// <summary>The workers' consumer group (and its stream), created by the first worker to start.</summary>
    public async Task EnsureGroupAsync()
    {
        try
        {
            await Db.StreamCreateConsumerGroupAsync(Batches, Group, "0", createStream: true);
        }
        catch (RedisServerException e) when (e.Message.Contains("BUSYGROUP"))
        {
            // Another worker created it first.
        }
    }

    const string EnqueueScript = """
        if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 1 end
        if tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0') >= tonumber(ARGV[4]) then return 2 end
        local seq = redis.call('INCR', KEYS[4])
        redis.call('ZADD', KEYS[1], seq, ARGV[1])
        redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
        redis.call('HSET', KEYS[3], 'spec', ARGV[5], 'owner', ARGV[2], 'latest', ARGV[6], 'seq', 0)
        redis.call('ZADD', KEYS[5], seq, ARGV[1])
        redis.call('EXPIRE', KEYS[5], 86400)
        return 0
        """;

    /// <summary>Queues the job unless the queue or the session's share is full (checked and added atomically).</summary>
    public EnqueueResult Enqueue(GenerationJob job)
    {
        var options = generation.Value;
        var result = (int)Db.ScriptEvaluate(EnqueueScript, [Waiting, WaitingPerSession, Job(job.Id), Counter, SessionJobs(job.Owner)],
            [job.Id, job.Owner.ToString(), options.QueueCapacity, options.MaxQueuedPerSession, JobSpec.Of(job).Serialize(), Serialize(job.Latest)]);
        if (result != 0) return result == 1 ? EnqueueResult.QueueFull : EnqueueResult.SessionFull;
        Subscriber.Publish(Arrivals, job.Id, CommandFlags.FireAndForget);
        return EnqueueResult.Queued;
    }

    long lastLength;

    /// <summary>Jobs waiting. While Redis is unreachable, the last count read: a worker's idle check or a gauge must not throw.</summary>
    public long Length
    {
        get
        {
            try
            {
                return lastLength = Db.SortedSetLength(Waiting);
            }
            catch (Exception e) when (e is RedisException or RedisTimeoutException)
            {
                return lastLength;
            }
        }
    }

    public int MaxQueuedPerSession => generation.Value.MaxQueuedPerSession;

    /// <summary>
    /// The session's jobs that have not ended, oldest first (a page opened again finds them). The index keeps every
    /// job the session queued for a day; ended and expired ones are dropped from it as they are met here.
    /// </summary>
    public List<string> UnfinishedIds(Guid owner)
    {
        var ids = Db.SortedSetRangeByRank(SessionJobs(owner)).Select(id => (string)id!).ToList();
        var unfinished = new List<string>();
        foreach (var id in ids)
        {
            var fields = Db.HashGet(Job(id), ["final", "latest"]);
            if (fields[1].IsNull || fields[0] == "1") Db.SortedSetRemove(SessionJobs(owner), id, CommandFlags.FireAndForget);
            else unfinished.Add(id);
        }
        return unfinished;
    }

    /// <summary>A job's spec, latest event and its sequence number; null when unknown (or expired).</summary>
    public async Task<(JobSpec Spec, GenerationEvent Latest, long Seq, bool CancelRequested)?> ReadAsync(string id)
    {
        var fields = await Db.HashGetAsync(Job(id), ["spec", "latest", "seq", "cancel"]);
        if (fields[0].IsNull || fields[1].IsNull) return null;
        return (JobSpec.Deserialize(fields[0]!), Deserialize(fields[1]!), (long)fields[2], !fields[3].IsNull);
    }

    public async Task<bool> IsWatchedAsync(string id) => await Db.HashExistsAsync(Job(id), "watched");

    /// <summary>
    /// Someone watches the job (a page or a hub stream): its worker encodes previews from now on. Marked on the job
    /// for a worker that takes it later, and announced to the one running it. Previews for nobody cost a worker CPU.
    /// </summary>
    public async Task WatchingAsync(string id)
    {
        await Db.HashSetAsync(Job(id), "watched", "1", When.Always);
        await Subscriber.PublishAsync(Watches, id);
    }

    public (JobSpec Spec, GenerationEvent Latest, long Seq)? Read(string id)
    {
        var fields = Db.HashGet(Job(id), ["spec", "latest", "seq"]);
        if (fields[0].IsNull || fields[1].IsNull) return null;
        return (JobSpec.Deserialize(fields[0]!), Deserialize(fields[1]!), (long)fields[2]);
    }

    const string PublishScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        if redis.call('HGET', KEYS[1], 'final') == '1' then return 0 end
        if ARGV[3] ~= '' then
          if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
          if redis.call('HGET', KEYS[1], 'position') == ARGV[3] then return 0 end
          redis.call('HSET', KEYS[1], 'position', ARGV[3])
        end
        local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
        redis.call('HSET', KEYS[1], 'latest', ARGV[2])
        if ARGV[4] == '1' then
          redis.call('HSET', KEYS[1], 'final', '1')
          redis.call('EXPIRE', KEYS[1], ARGV[5])
        end
        redis.call('PUBLISH', ARGV[6], seq .. '\n' .. ARGV[2])
        return seq
        """;

    /// <summary>
    /// Stores the job's latest event and sends it to every web node, unless the job has already ended. A queue
    /// position (<paramref name="position"/>) is written only while the job still waits and only when it changed:
    /// a worker that just took the job must not be overtaken by an older "queued" from a web node.
    /// </summary>
    public Task PublishAsync(string id, GenerationEvent update, int? position = null) =>
        Db.ScriptEvaluateAsync(PublishScript, [Job(id), Waiting],
            [id, Serialize(update), position?.ToString() ?? "", update.IsFinal ? "1" : "0", (long)(engine.Value.KeepFinishedMinutes * 60), Events.ToString()]);

    /// <summary>An event message from <see cref="Events"/>: its job's sequence number and the event.</summary>
    public static (long Seq, GenerationEvent Event) ParseMessage(string message)
    {
        int newline = message.IndexOf('\n');
        return (long.Parse(message[..newline]), Deserialize(message[(newline + 1)..]));
    }

    /// <summary>Every waiting job, in arrival order, as jobs (for <see cref="BatchPolicy"/>), and when each session was last served.</summary>
    public async Task<(List<GenerationJob> Waiting, Dictionary<Guid, long> Served)> WaitingAsync()
    {
        var ids = await Db.SortedSetRangeByRankAsync(Waiting);
        var specs = await Task.WhenAll(ids.Select(id => Db.HashGetAsync(Job(id!), "spec")));
        var jobs = specs.Where(s => !s.IsNull).Select(s => JobSpec.Deserialize(s!).ToJob()).ToList();
        var served = (await Db.HashGetAllAsync(Served)).ToDictionary(e => Guid.Parse((string)e.Name!), e => (long)e.Value);
        return (jobs, served);
    }

    /// <summary>Tells every waiting job its place in serving order (only those whose place changed hear it); returns the order's ids.</summary>
    public async Task<List<string>> PublishPositionsAsync()
    {
        var (waiting, served) = await WaitingAsync();
        var order = FairShare.Order(waiting, j => j.Owner, served);
        await Task.WhenAll(order.Select((job, position) => PublishAsync(job.Id, job.Latest with { QueuePosition = position }, position)));
        return [.. order.Select(j => j.Id)];
    }

    const string TakeScript = """
        local n = tonumber(ARGV[1])
        for i = 1, n do
          if not redis.call('ZSCORE', KEYS[1], ARGV[1 + i]) then return 0 end
        end
        for i = 1, n do
          local id, owner = ARGV[1 + i], ARGV[1 + n + i]
          redis.call('ZREM', KEYS[1], id)
          if redis.call('HINCRBY', KEYS[2], owner, -1) <= 0 then redis.call('HDEL', KEYS[2], owner) end
          redis.call('HSET', KEYS[3], owner, redis.call('INCR', KEYS[4]))
        end
        redis.call('XADD', KEYS[5], '*', 'jobs', ARGV[2 + 2 * n])
        return 1
        """;

    /// <summary>
    /// Moves the next batch (by <see cref="BatchPolicy"/>) from waiting into the stream, for whichever worker reads it
    /// first. False when nothing waits; true also when another worker took those jobs first (look again).
    /// </summary>
    public async Task<bool> MoveNextBatchAsync(int maxImages)
    {
        var (waiting, served) = await WaitingAsync();
        var batch = BatchPolicy.Next(waiting, served, maxImages);
        if (batch.Count == 0) return false;
        RedisValue[] args = [batch.Count, .. batch.Select(j => (RedisValue)j.Id), .. batch.Select(j => (RedisValue)j.Owner.ToString()), string.Join(',', batch.Select(j => j.Id))];
        if ((int)await Db.ScriptEvaluateAsync(TakeScript, [Waiting, WaitingPerSession, Served, Counter, Batches], args) == 1)
            await PublishPositionsAsync(); // everyone behind moved up
        return true;
    }

    const string CancelScript = """
        if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
          if redis.call('HINCRBY', KEYS[2], ARGV[2], -1) <= 0 then redis.call('HDEL', KEYS[2], ARGV[2]) end
          return 1
        end
        if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('HSET', KEYS[3], 'cancel', '1') end
        return 0
        """;

    /// <summary>
    /// Cancels a job: one still waiting ends here (cancelled); a running one is marked, and its worker told, so it
    /// stops (and a worker taking it over later sees the mark).
    /// </summary>
    /// <returns>Whether the job was still waiting (it ended here, without reaching a worker).</returns>
    public async Task<bool> CancelAsync(GenerationJob job)
    {
        bool wasWaiting = (int)await Db.ScriptEvaluateAsync(CancelScript, [Waiting, WaitingPerSession, Job(job.Id)], [job.Id, job.Owner.ToString()]) == 1;
        if (wasWaiting)
        {
            await PublishAsync(job.Id, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Cancelled });
            await PublishPositionsAsync();
        }
        else await Subscriber.PublishAsync(Cancels, job.Id);
        return wasWaiting;
    }

    /// <summary>The next batch no worker has read yet, now delivered to <paramref name="worker"/>; null when none.</summary>
    public async Task<StreamEntry?> ReadNewAsync(string worker)
    {
        var entries = await Db.StreamReadGroupAsync(Batches, Group, worker, StreamPosition.NewMessages, count: 1);
        return entries.Length > 0 ? entries[0] : null;
    }

    /// <summary>A batch whose worker has been silent for <see cref="EngineOptions.ReclaimAfterSeconds"/>, now <paramref name="worker"/>'s.</summary>
    public async Task<StreamEntry?> ReclaimAsync(string worker)
    {
        var claimed = await Db.StreamAutoClaimAsync(Batches, Group, worker, (long)(engine.Value.ReclaimAfterSeconds * 1000), "0-0", count: 1);
        return claimed.ClaimedEntries.Length > 0 ? claimed.ClaimedEntries[0] : null;
    }

    /// <summary>How many times the batch has been handed to a worker (1 the first time).</summary>
    public async Task<int> DeliveriesAsync(RedisValue entryId)
    {
        var pending = await Db.StreamPendingMessagesAsync(Batches, Group, 1, RedisValue.Null, entryId, entryId);
        return pending.Length > 0 ? pending[0].DeliveryCount : 1;
    }

    /// <summary>Keeps the worker's batches from being reclaimed: resets their idle time without counting a delivery (JUSTID).</summary>
    public Task HeartbeatAsync(string worker, RedisValue[] entryIds) =>
        entryIds.Length == 0 ? Task.CompletedTask : Db.StreamClaimIdsOnlyAsync(Batches, Group, worker, 0, entryIds);

    /// <summary>The batch is done (every job ended and its results stored): off the stream for good.</summary>
    public async Task AcknowledgeAsync(RedisValue entryId)
    {
        await Db.StreamAcknowledgeAsync(Batches, Group, entryId);
        await Db.StreamDeleteAsync(Batches, [entryId]);
    }

    /// <summary>Replaces a batch with one batch per job, in one transaction (none lost, none doubled).</summary>
    public async Task SplitAsync(RedisValue entryId, IEnumerable<string> jobIds)
    {
        var transaction = Db.CreateTransaction();
        foreach (var id in jobIds) _ = transaction.StreamAddAsync(Batches, "jobs", id);
        _ = transaction.StreamAcknowledgeAsync(Batches, Group, entryId);
        _ = transaction.StreamDeleteAsync(Batches, [entryId]);
        await transaction.ExecuteAsync();
    }

    /// <summary>Notes that <paramref name="worker"/> took the job; returns every worker that has, in order.</summary>
    public async Task<string[]> RecordWorkerAsync(string id, string worker)
    {
        var list = await Db.HashGetAsync(Job(id), "workers");
        string[] workers = [.. (list.IsNull ? "" : (string)list!).Split(',', StringSplitOptions.RemoveEmptyEntries), worker];
        await Db.HashSetAsync(Job(id), "workers", string.Join(',', workers));
        return workers;
    }

    public async Task<string[]> WorkersAsync(string id) =>
        ((string?)await Db.HashGetAsync(Job(id), "workers") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries);

    static string Serialize(GenerationEvent update) => JsonSerializer.Serialize(update, EventJson);

    static GenerationEvent Deserialize(string json) => JsonSerializer.Deserialize<GenerationEvent>(json, EventJson) ?? throw new InvalidDataException("empty event");
}
