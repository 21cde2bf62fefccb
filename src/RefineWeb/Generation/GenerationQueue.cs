using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace RefineWeb.Generation;

/// <summary>
/// The bounded queue between the entry points (page, hub, API) and the engine. Full means full: the caller gets a
/// refusal (429 from the API) instead of an ever longer wait. The bound counts every job not yet started, including
/// those the engine has taken off the channel to batch, and keeps their order for queue positions.
/// </summary>
public sealed class GenerationQueue(IOptions<GenerationOptions> options)
{
    readonly Channel<GenerationJob> channel = Channel.CreateUnbounded<GenerationJob>(new UnboundedChannelOptions { SingleReader = true });
    readonly Lock gate = new();
    readonly List<GenerationJob> waiting = [];
    readonly Dictionary<string, GenerationJob> jobs = [];

    public int Length
    {
        get { lock (gate) return waiting.Count; }
    }

    /// <summary>Queues the job, or returns false when the queue is full (nothing is kept then).</summary>
    public bool TryEnqueue(GenerationJob job)
    {
        lock (gate)
        {
            if (waiting.Count >= options.Value.QueueCapacity || !channel.Writer.TryWrite(job)) return false;
            waiting.Add(job);
            jobs[job.Id] = job;
            PruneFinished();
            job.Publish(job.Latest with { QueuePosition = waiting.Count - 1 });
        }
        return true;
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
            for (int i = 0; i < waiting.Count; i++)
                if (waiting[i].Latest.QueuePosition != i) waiting[i].Publish(waiting[i].Latest with { QueuePosition = i });
        }
    }

    /// <summary>Keeps finished jobs findable for a while (status polling), without growing forever.</summary>
    void PruneFinished()
    {
        const int keep = 1000;
        if (jobs.Count <= keep) return;
        foreach (var old in jobs.Values.Where(j => j.Latest.IsFinal).OrderBy(j => j.CreatedAt).Take(jobs.Count - keep).ToList())
            jobs.Remove(old.Id);
    }
}

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
}
