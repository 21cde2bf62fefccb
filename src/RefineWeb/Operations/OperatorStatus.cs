using RefineWeb.Generation;
using System.Diagnostics.Metrics;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Operations;

/// <summary>
/// A web node's view of the engines, sampled every <see cref="TelemetryOptions.StatusInterval"/> from the status
/// board and the queue, kept for <see cref="TelemetryOptions.StatusMinutes"/>: what the status page charts and the
/// workers' metrics (<see cref="WorkerMetrics"/>) report. In a cluster every web node samples the same board.
/// </summary>
public sealed class OperatorStatus : BackgroundService
{
    readonly IWorkerBoard board;
    readonly IGenerationQueue queue;
    readonly TelemetryOptions options;
    readonly ILogger<OperatorStatus> log;
    readonly Lock gate = new();
    readonly Queue<StatusSample> samples = new();

    public OperatorStatus(IWorkerBoard board, IGenerationQueue queue, TelemetryOptions options, IMeterFactory meters, ILogger<OperatorStatus> log)
    {
        (this.board, this.queue, this.options, this.log) = (board, queue, options, log);
        _ = new WorkerMetrics(meters, () => Latest, options.StatusInterval);
    }

    public TimeSpan Interval => options.StatusInterval;

    /// <summary>Raised after each sample (on a pool thread).</summary>
    public event Action? Sampled;

    /// <summary>Why the last sample could not read the board (the cluster's Redis down); null when it could.</summary>
    public string? Problem { get; private set; }

    public StatusSample? Latest
    {
        get { lock (gate) return samples.Count > 0 ? samples.Last() : null; }
    }

    /// <summary>The samples of the last <see cref="TelemetryOptions.StatusMinutes"/>, oldest first.</summary>
    public IReadOnlyList<StatusSample> Samples
    {
        get { lock (gate) return [.. samples]; }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.StatusInterval);
        do
        {
            await SampleAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken)); // stopping ends the wait with OperationCanceledException, which the host expects
    }

    /// <summary>Takes one sample now.</summary>
    public async Task SampleAsync(CancellationToken cancel = default)
    {
        var now = DateTimeOffset.UtcNow;
        IReadOnlyList<WorkerStatus> workers;
        int waiting;
        long withdrawn = queue.Withdrawn;
        try
        {
            workers = await board.ReadAsync(cancel);
            waiting = queue.Length;
            Problem = null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The cluster's Redis is down: the gap shows in the charts, and the page says why.
            log.LogWarning("Could not read the engines' status: {Reason}", e.Message);
            Problem = "The cluster's queue (Redis) cannot be reached: no figures from the workers until it can.";
            Sampled?.Invoke();
            return;
        }
        lock (gate)
        {
            samples.Enqueue(new StatusSample(now, waiting, workers, withdrawn));
            while (samples.Count > 0 && now - samples.Peek().At > TimeSpan.FromMinutes(options.StatusMinutes)) samples.Dequeue();
        }
        Sampled?.Invoke();
    }
}
