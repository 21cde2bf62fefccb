using RefineWeb.Generation;
using RefineWeb.Operations;

namespace RefineWeb.Tests.Operations;

/// <summary>The status page's rates, worked out from the workers' totals by difference, restarts included.</summary>
public sealed class StatusReportTests
{
    static readonly DateTimeOffset T0 = new(2026, 12, 7, 6, 0, 0, TimeSpan.Zero);
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    static WorkerStatus Worker(string name, double at, long images, long succeeded = 0, DateTimeOffset? started = null,
        (string Stage, long Steps, double Ms)[]? steps = null, double waitSum = 0, long waits = 0, int batchImages = 0) => new()
    {
        Name = name, At = T0.AddSeconds(at), StartedAt = started ?? T0.AddMinutes(-5), Images = images, Succeeded = succeeded, BatchImages = batchImages,
        QueueWaitSeconds = waitSum, QueueWaits = waits,
        Steps = (steps ?? []).ToDictionary(s => s.Stage, s => new StageTotals(s.Steps, s.Ms)),
    };

    static StatusSample Sample(double at, int queue, params WorkerStatus[] workers) => new(T0.AddSeconds(at), queue, workers);

    [Fact]
    public void Rates_come_from_the_difference_between_samples_summed_over_workers()
    {
        var report = StatusReport.From(
        [
            Sample(0, 3, Worker("a", 0, images: 10, steps: [("base", 100, 5000)]), Worker("b", 0, images: 4)),
            Sample(6, 1, Worker("a", 6, images: 14, succeeded: 2, steps: [("base", 120, 6000), ("refiner32", 10, 3000)], waitSum: 3, waits: 2),
                Worker("b", 5, images: 6)),
        ], Interval);

        Assert.Equal([3.0, 1.0], report.QueueLength);
        Assert.Equal(0, report.ImagesPerMinute[0]);
        Assert.Equal(60, report.ImagesPerMinute[1], 6); // (4 + 2) images in 6 s
        Assert.Equal(["base", "refiner32"], report.StepMilliseconds.Select(s => s.Stage));
        Assert.Equal(50, report.StepMilliseconds[0].Milliseconds[1]); // 1000 ms over 20 steps
        Assert.Equal(300, report.StepMilliseconds[1].Milliseconds[1]); // a stage new in this interval counts whole
        Assert.Null(report.StepMilliseconds[0].Milliseconds[0]);
        Assert.Equal(1.5, report.QueueWaitSeconds[1]);
        Assert.Equal(2, report.Window.Succeeded);
        Assert.Equal(6, report.Window.Images);
        Assert.Equal(60, report.ImagesPerMinuteNow, 6);
    }

    [Fact]
    public void A_restarted_worker_counts_from_zero_and_a_worker_first_seen_late_is_only_a_baseline()
    {
        var restart = T0.AddSeconds(3);
        var report = StatusReport.From(
        [
            Sample(0, 0, Worker("a", 0, images: 50), Worker("late", 0, images: 0, started: T0.AddSeconds(-1))),
            // "a" restarted (totals start over at 2); "old" was running long before this node first saw it.
            Sample(5, 0, Worker("a", 5, images: 2, started: restart), Worker("late", 5, images: 1, started: T0.AddSeconds(-1)),
                Worker("old", 5, images: 500, started: T0.AddHours(-1))),
            Sample(10, 0, Worker("a", 10, images: 3, started: restart), Worker("late", 10, images: 1, started: T0.AddSeconds(-1)),
                Worker("old", 10, images: 501, started: T0.AddHours(-1))),
        ], Interval);

        Assert.Equal(2 + 1, report.ImagesPerMinute[1] * 5 / 60, 6);
        Assert.Equal(3 + 2, report.ImagesPerMinute[2] * 10 / 60, 6); // the rate runs over the last 30 s: both intervals
        Assert.Equal(5, report.Window.Images);
    }

    [Fact]
    public void A_worker_silent_for_three_intervals_is_shown_silent_for_how_long()
    {
        var report = StatusReport.From([Sample(0, 0), Sample(20, 0, Worker("alive", 19, 1, batchImages: 2), Worker("gone", 4, 1, batchImages: 3))], Interval);
        Assert.Equal([0.0, 1.0], report.EnginesAlive); // the silent one is not counted
        Assert.Equal([0.0, 2.0], report.ImagesInFlight); // nor the batch it last told of
        var rows = report.Workers.ToDictionary(w => w.Status.Name);
        Assert.True(rows["alive"].Alive);
        Assert.False(rows["gone"].Alive);
        Assert.Equal(TimeSpan.FromSeconds(16), rows["gone"].Silent);
        Assert.Equal(1, report.WorkersAlive);
    }

    [Fact]
    public void Jobs_withdrawn_while_waiting_count_among_the_jobs_that_ended()
    {
        var report = StatusReport.From(
        [
            new StatusSample(T0, 2, [Worker("a", 0, images: 0)], Withdrawn: 3),
            new StatusSample(T0.AddSeconds(5), 0, [Worker("a", 5, images: 1, succeeded: 1)], Withdrawn: 5),
        ], Interval);
        Assert.Equal(2, report.Withdrawn); // this node's count over the window, not since it started
        Assert.Equal(3, report.JobsEnded);
        Assert.Equal(1, report.Window.JobsEnded);
    }

    [Fact]
    public void No_samples_make_an_empty_report()
    {
        var report = StatusReport.From([], Interval);
        Assert.Empty(report.Times);
        Assert.Empty(report.Workers);
        Assert.Equal(0, report.ImagesPerMinuteNow);
        Assert.Null(report.Window.PreviewsDroppedShare);
    }
}
