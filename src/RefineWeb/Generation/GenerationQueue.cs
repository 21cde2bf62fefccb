using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace RefineWeb.Generation;

/// <summary>
/// The bounded queue between the entry points (page, hub, API) and the engine. Full means full: the caller gets a
/// refusal (429 from the API) instead of an ever longer wait. The bound counts every job not yet started, including
/// those the engine has taken off the channel to batch, and keeps their order for queue positions.
/// </summary>
public sealed class GenerationQueue(IOptions<GenerationOptions> options, GenerationTiming? timing = null)
{
    /// <summary>Finished jobs stay findable (status polling) until this many newer jobs have arrived.</summary>
    internal const int KeepFinished = 1000;

    readonly Channel<GenerationJob> channel = Channel.CreateUnbounded<GenerationJob>(new UnboundedChannelOptions { SingleReader = true });
    readonly Lock gate = new();
    readonly List<GenerationJob> waiting = [];
    readonly Dictionary<string, GenerationJob> jobs = [];
    readonly Queue<GenerationJob> arrivals = []; // every known job, oldest first: pruning looks only at its head

    public int Length
    {
        get { lock (gate) return waiting.Count; }
    }

    /// <summary>Jobs kept for lookup (waiting, running, and recently finished).</summary>
    internal int Known
    {
        get { lock (gate) return jobs.Count; }
    }

    public int MaxQueuedPerSession => options.Value.MaxQueuedPerSession;

    /// <summary>Queues the job, or refuses it (nothing is kept then) when the queue or the session's share is full.</summary>
    public EnqueueResult TryEnqueue(GenerationJob job)
    {
        lock (gate)
        {
            if (waiting.Count >= options.Value.QueueCapacity) return EnqueueResult.QueueFull;
            if (waiting.Count(j => j.Owner == job.Owner) >= options.Value.MaxQueuedPerSession) return EnqueueResult.SessionFull;
            if (!channel.Writer.TryWrite(job)) return EnqueueResult.QueueFull;
            waiting.Add(job);
            jobs[job.Id] = job;
            arrivals.Enqueue(job);
            PruneFinished();
            PublishPosition(waiting.Count - 1, waiting.Sum(j => j.Seeds.Count) - job.Seeds.Count);
        }
        return EnqueueResult.Queued;
    }

    public GenerationJob? Find(string id)
    {
        lock (gate) return jobs.GetValueOrDefault(id);
    }

    internal ChannelReader<GenerationJob> Reader => channel.Reader;

    /// <summary>The engine took these jobs: everyone behind them moves up.</summary>
    internal void Started(IEnumerable<GenerationJob> started)
    {
        lock (gate)
        {
            foreach (var job in started) waiting.Remove(job);
            // A job hears when its place or its wait changed (the batch that just started changes the wait even for the head).
            int imagesAhead = 0;
            for (int i = 0; i < waiting.Count; imagesAhead += waiting[i++].Seeds.Count) PublishPosition(i, imagesAhead, onlyIfChanged: true);
        }
    }

    /// <summary>Tells the job at <paramref name="position"/> its place and about how long until it starts (under the lock).</summary>
    void PublishPosition(int position, int imagesAhead, bool onlyIfChanged = false)
    {
        var job = waiting[position];
        var wait = timing?.SecondsUntilStart(imagesAhead);
        var last = job.Latest;
        bool waitChanged = wait.HasValue != last.SecondsUntilStart.HasValue || Math.Abs((wait ?? 0) - (last.SecondsUntilStart ?? 0)) >= 1;
        if (onlyIfChanged && last.QueuePosition == position && !waitChanged) return;
        job.Publish(last with { QueuePosition = position, SecondsUntilStart = wait });
    }

    /// <summary>Forgets the oldest finished jobs beyond <see cref="KeepFinished"/>, in arrival order (no sorting under the lock).</summary>
    void PruneFinished()
    {
        while (arrivals.Count > KeepFinished && arrivals.Peek().Latest.IsFinal) jobs.Remove(arrivals.Dequeue().Id);
    }
}

public enum EnqueueResult { Queued, QueueFull, SessionFull }

/// <summary>The "Generation" section of appsettings.json.</summary>
public sealed class GenerationOptions
{
    public const string Section = "Generation";

    /// <summary>Jobs waiting at most; one more is refused with 429.</summary>
    public int QueueCapacity { get; set; } = 32;

    /// <summary>
    /// Images per forward pass when compatible jobs are batched. 4 suits a CPU (measured on 2 cores: batches of 2-4
    /// give about 1.2x the throughput of one at a time, 8 is slower than one at a time); a GPU wants more.
    /// </summary>
    public int MaxBatchImages { get; set; } = 4;

    /// <summary>Jobs one session may have waiting at once; one more is refused with 429, so nobody takes the whole queue.</summary>
    public int MaxQueuedPerSession { get; set; } = 8;

    /// <summary>
    /// libtorch threads for a batch of one image; null: every core. Fewer leave cores to the web, but on 2 cores (web
    /// benchmark, interleaved, two runs) one thread made one image slower both times (1670 against 1509 ms and 1860
    /// against 1390 ms streamed), so every core is the default. Batches of several images always use every core.
    /// </summary>
    public int? SingleImageThreads { get; set; }
}
