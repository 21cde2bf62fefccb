using RefineWeb.Generation;
namespace RefineWeb.Operations;

/// <summary>
/// What the status page shows, worked out from the samples (<see cref="OperatorStatus"/>): per sample the queue's
/// length and, over the interval before it, the cluster's images per minute, mean step time per stage and mean
/// queue wait; totals over the whole window; and each worker as last heard. Rates come from the difference of the
/// workers' totals between two samples; a worker that restarted counts from zero again.
/// </summary>
public sealed record StatusReport
{
    public required IReadOnlyList<DateTimeOffset> Times { get; init; }
    public required double[] QueueLength { get; init; }

    /// <summary>Images in the batches the engines ran at each sample, and how many engines were heard from.</summary>
    public required double[] ImagesInFlight { get; init; }
    public required double[] EnginesAlive { get; init; }
    /// <summary>Images per minute over the <see cref="RateWindow"/> before each sample (the interval alone would be too jumpy to read).</summary>
    public required double[] ImagesPerMinute { get; init; }

    public static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(30);

    /// <summary>Mean wall time of one step per stage, in the model's order; null where the stage took no step.</summary>
    public required IReadOnlyList<(string Stage, double?[] Milliseconds)> StepMilliseconds { get; init; }

    /// <summary>Mean wait from submission to batch start of the jobs started in each interval; null where none started.</summary>
    public required double?[] QueueWaitSeconds { get; init; }

    public required WorkerStatusDelta Window { get; init; }

    /// <summary>Jobs this web node ended because they were cancelled while waiting (no engine saw them), over the window.</summary>
    public long Withdrawn { get; init; }

    /// <summary>Every job that ended over the window: by an engine, or withdrawn while waiting.</summary>
    public long JobsEnded => Window.JobsEnded + Withdrawn;

    /// <summary>Images per minute over the last minute (or the window, when shorter).</summary>
    public required double ImagesPerMinuteNow { get; init; }

    public required IReadOnlyList<WorkerRow> Workers { get; init; }

    public int WorkersAlive => Workers.Count(w => w.Alive);

    public TimeSpan Span => Times.Count > 1 ? Times[^1] - Times[0] : TimeSpan.Zero;

    public static StatusReport From(IReadOnlyList<StatusSample> samples, TimeSpan interval)
    {
        int n = samples.Count;
        var madeSoFar = new double[n];
        var waits = new double?[n];
        var stages = new List<string>();
        var stepsPerSample = new List<Dictionary<string, StageTotals>>(n);
        var window = WorkerStatusDelta.None;
        for (int i = 0; i < n; i++)
        {
            var delta = i == 0 ? WorkerStatusDelta.None : Between(samples[i - 1], samples[i], interval);
            madeSoFar[i] = (i == 0 ? 0 : madeSoFar[i - 1]) + delta.Images;
            waits[i] = delta.QueueWaits > 0 ? delta.QueueWaitSeconds / delta.QueueWaits : null;
            stepsPerSample.Add(delta.Steps);
            foreach (var stage in samples[i].Workers.SelectMany(w => w.Steps.Keys).Concat(delta.Steps.Keys))
                if (!stages.Contains(stage)) stages.Add(stage);
            window = window.Plus(delta);
        }
        var latest = n > 0 ? samples[^1] : null;
        return new StatusReport
        {
            Times = [.. samples.Select(s => s.At)],
            QueueLength = [.. samples.Select(s => (double)s.QueueLength)],
            ImagesInFlight = [.. samples.Select(s => (double)s.Workers.Where(w => w.IsAlive(s.At, interval)).Sum(w => w.BatchImages))],
            EnginesAlive = [.. samples.Select(s => (double)s.Workers.Count(w => w.IsAlive(s.At, interval)))],
            ImagesPerMinute = [.. Enumerable.Range(0, n).Select(i => RateBefore(samples, madeSoFar, i))],
            StepMilliseconds = [.. stages.Select(stage => (stage, stepsPerSample.Select(steps =>
                steps.TryGetValue(stage, out var t) && t.Steps > 0 ? t.Milliseconds / t.Steps : (double?)null).ToArray()))],
            QueueWaitSeconds = waits,
            Window = window,
            Withdrawn = n > 1 ? samples[^1].Withdrawn - samples[0].Withdrawn : 0,
            ImagesPerMinuteNow = LastMinute(samples, interval),
            Workers = latest is null ? [] : [.. latest.Workers.Select(w => new WorkerRow(w, w.IsAlive(latest.At, interval), latest.At - w.At))],
        };
    }

    /// <summary>Images per minute over the <see cref="RateWindow"/> (or as much of it as there are samples) before sample <paramref name="i"/>.</summary>
    static double RateBefore(IReadOnlyList<StatusSample> samples, double[] madeSoFar, int i)
    {
        int from = i;
        while (from > 0 && samples[i].At - samples[from - 1].At <= RateWindow) from--;
        if (from == i && i > 0) from = i - 1; // samples farther apart than the window: the one interval
        double minutes = (samples[i].At - samples[from].At).TotalMinutes;
        return minutes > 0 ? (madeSoFar[i] - madeSoFar[from]) / minutes : 0;
    }

    static double LastMinute(IReadOnlyList<StatusSample> samples, TimeSpan interval)
    {
        if (samples.Count < 2) return 0;
        var end = samples[^1];
        int from = samples.Count - 2;
        while (from > 0 && end.At - samples[from - 1].At <= TimeSpan.FromMinutes(1)) from--;
        double images = 0;
        for (int i = from + 1; i < samples.Count; i++) images += Between(samples[i - 1], samples[i], interval).Images;
        double minutes = (end.At - samples[from].At).TotalMinutes;
        return minutes > 0 ? images / minutes : 0;
    }

    /// <summary>What every worker did between two samples.</summary>
    public static WorkerStatusDelta Between(StatusSample before, StatusSample after, TimeSpan interval)
    {
        var total = WorkerStatusDelta.None;
        foreach (var now in after.Workers)
        {
            var then = before.Workers.FirstOrDefault(w => w.Name == now.Name);
            if (then is not null && then.SameRun(now)) total = total.Plus(WorkerStatusDelta.Of(now, then));
            // New on the board (or restarted): what it did counts if it started since the sample before; a worker
            // first seen long after it started (this web node just started) is only a baseline.
            else if (now.StartedAt > before.At - interval) total = total.Plus(WorkerStatusDelta.Of(now, null));
        }
        return total;
    }
}

/// <summary>One worker's row on the page: its last figures, whether it is still heard from, and for how long it has been silent.</summary>
public sealed record WorkerRow(WorkerStatus Status, bool Alive, TimeSpan Silent);

/// <summary>The change of the workers' totals over an interval (or over the window).</summary>
public sealed record WorkerStatusDelta(long Images, long Succeeded, long Failed, long Cancelled, long TakenOver, long PreviewsSent, long PreviewsDropped,
    double QueueWaitSeconds, long QueueWaits, Dictionary<string, StageTotals> Steps)
{
    public static readonly WorkerStatusDelta None = new(0, 0, 0, 0, 0, 0, 0, 0, 0, []);

    /// <summary><paramref name="now"/>'s totals less <paramref name="then"/>'s (the same run of the worker), or all of them.</summary>
    public static WorkerStatusDelta Of(WorkerStatus now, WorkerStatus? then) => new(
        now.Images - (then?.Images ?? 0), now.Succeeded - (then?.Succeeded ?? 0), now.Failed - (then?.Failed ?? 0),
        now.Cancelled - (then?.Cancelled ?? 0), now.TakenOver - (then?.TakenOver ?? 0), now.PreviewsSent - (then?.PreviewsSent ?? 0),
        now.PreviewsDropped - (then?.PreviewsDropped ?? 0), now.QueueWaitSeconds - (then?.QueueWaitSeconds ?? 0), now.QueueWaits - (then?.QueueWaits ?? 0),
        now.Steps.ToDictionary(s => s.Key, s => then?.Steps.GetValueOrDefault(s.Key) is { } before
            ? new StageTotals(s.Value.Steps - before.Steps, s.Value.Milliseconds - before.Milliseconds) : s.Value));

    public WorkerStatusDelta Plus(WorkerStatusDelta other)
    {
        var steps = new Dictionary<string, StageTotals>(Steps);
        foreach (var (stage, t) in other.Steps)
            steps[stage] = steps.GetValueOrDefault(stage) is { } mine ? new StageTotals(mine.Steps + t.Steps, mine.Milliseconds + t.Milliseconds) : t;
        return new(Images + other.Images, Succeeded + other.Succeeded, Failed + other.Failed, Cancelled + other.Cancelled, TakenOver + other.TakenOver,
            PreviewsSent + other.PreviewsSent, PreviewsDropped + other.PreviewsDropped, QueueWaitSeconds + other.QueueWaitSeconds,
            QueueWaits + other.QueueWaits, steps);
    }

    public long JobsEnded => Succeeded + Failed + Cancelled;

    /// <summary>Share of step previews superseded before they were sent; null when none were made.</summary>
    public double? PreviewsDroppedShare => PreviewsSent + PreviewsDropped > 0 ? (double)PreviewsDropped / (PreviewsSent + PreviewsDropped) : null;
}
