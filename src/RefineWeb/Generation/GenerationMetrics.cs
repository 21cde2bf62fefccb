using System.Diagnostics.Metrics;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Generation;

/// <summary>
/// The engine's metrics (System.Diagnostics.Metrics, meter "RefineWeb.Generation"): queue length and wait, jobs by
/// outcome, batch sizes, step time per stage, images made, previews sent and dropped. Exported by OpenTelemetry
/// (see <see cref="Extensions.Telemetry"/>). It also keeps the same figures as totals for the status board
/// (<see cref="Status"/>), which reaches the web nodes from a cluster's workers too.
/// </summary>
public sealed class GenerationMetrics
{
    public const string MeterName = "RefineWeb.Generation";
    readonly Counter<long> imagesGenerated, jobsEnded, previewsSent, previewsDropped;
    readonly Histogram<double> stepLatency, queueWait;
    readonly Histogram<int> batchJobs;
    readonly IJobSource queue;
    readonly DateTimeOffset startedAt = DateTimeOffset.UtcNow;

    // The totals behind Status(): written by the engine's thread and the publisher's, read by the status poster.
    readonly Lock totals = new();
    long images, succeeded, failed, cancelled, sent, dropped, queueWaits;
    double queueWaitSeconds;
    int runningJobs, runningImages;
    string? runningStage;
    readonly Dictionary<string, StageTotals> steps = [];

    public GenerationMetrics(IMeterFactory meters, IJobSource queue)
    {
        this.queue = queue;
        var meter = meters.Create(MeterName);
        imagesGenerated = meter.CreateCounter<long>("refineweb.images.generated", description: "Images finished.");
        stepLatency = meter.CreateHistogram<double>("refineweb.step.duration", unit: "ms", description: "Wall time of one denoising step of a batch.");
        meter.CreateObservableGauge("refineweb.queue.length", () => queue.Length, description: "Jobs waiting.");
        jobsEnded = meter.CreateCounter<long>("refineweb.jobs.ended", description: "Jobs that ended, by outcome: succeeded, failed or cancelled.");
        queueWait = meter.CreateHistogram<double>("refineweb.queue.wait", unit: "s", description: "From a job's submission to the start of its batch.");
        batchJobs = meter.CreateHistogram<int>("refineweb.batch.jobs", description: "Jobs in each batch the engine runs.");
        previewsSent = meter.CreateCounter<long>("refineweb.previews.sent", description: "Step previews encoded and sent to a listener.");
        previewsDropped = meter.CreateCounter<long>("refineweb.previews.dropped", description: "Step previews superseded by a newer step before they were encoded.");
    }

    internal void JobEnded(GenerationStatus outcome)
    {
        jobsEnded.Add(1, new KeyValuePair<string, object?>("outcome", outcome.ToString().ToLowerInvariant()));
        lock (totals)
        {
            if (outcome == GenerationStatus.Succeeded) succeeded++;
            else if (outcome == GenerationStatus.Failed) failed++;
            else if (outcome == GenerationStatus.Cancelled) cancelled++;
        }
    }

    internal void BatchStarted(IReadOnlyCollection<GenerationJob> batch, DateTimeOffset now)
    {
        Admitted(batch, now);
        Running(batch.Count, batch.Sum(job => job.Seeds.Count));
    }

    /// <summary>Jobs that start running (a batch, or jobs joining running ones at a step): their queue waits.</summary>
    internal void Admitted(IReadOnlyCollection<GenerationJob> jobs, DateTimeOffset now)
    {
        batchJobs.Record(jobs.Count);
        lock (totals)
            foreach (var job in jobs)
            {
                double waited = Math.Max(0, (now - job.CreatedAt).TotalSeconds);
                queueWait.Record(waited);
                queueWaitSeconds += waited;
                queueWaits++;
            }
    }

    /// <summary>What the engine runs now: jobs and their images.</summary>
    internal void Running(int jobs, int images)
    {
        lock (totals) (runningJobs, runningImages) = (jobs, images);
    }

    internal void BatchEnded()
    {
        lock (totals) (runningJobs, runningImages, runningStage) = (0, 0, null);
    }

    internal void PreviewsSent(int frames)
    {
        previewsSent.Add(frames);
        lock (totals) sent += frames;
    }

    internal void PreviewsDropped(int frames)
    {
        previewsDropped.Add(frames);
        lock (totals) dropped += frames;
    }

    internal void ImagesDone(int count)
    {
        imagesGenerated.Add(count);
        lock (totals) images += count;
    }

    internal void Step(string stage, double milliseconds)
    {
        stepLatency.Record(milliseconds, new KeyValuePair<string, object?>("stage", stage));
        lock (totals)
        {
            var stageTotals = steps.GetValueOrDefault(stage) ?? new StageTotals(0, 0);
            steps[stage] = new StageTotals(stageTotals.Steps + 1, stageTotals.Milliseconds + milliseconds);
            runningStage = stage;
        }
    }

    /// <summary>This engine's totals and current batch, as <paramref name="worker"/> tells them to the status board.</summary>
    public WorkerStatus Status(string worker, DateTimeOffset now)
    {
        lock (totals)
            return new WorkerStatus
            {
                Name = worker, At = now, StartedAt = startedAt, BatchJobs = runningJobs, BatchImages = runningImages, Stage = runningStage,
                Images = images, Succeeded = succeeded, Failed = failed, Cancelled = cancelled, TakenOver = queue.TakenOver,
                PreviewsSent = sent, PreviewsDropped = dropped, QueueWaitSeconds = queueWaitSeconds, QueueWaits = queueWaits,
                Steps = new Dictionary<string, StageTotals>(steps),
            };
    }
}
