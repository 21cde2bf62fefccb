using System.Diagnostics.Metrics;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Generation;

/// <summary>
/// The engine's metrics (System.Diagnostics.Metrics, meter "RefineWeb.Generation"): queue length and wait, jobs by
/// outcome, batch sizes, step time per stage, images made, previews sent and dropped. Exported by OpenTelemetry
/// (see <see cref="Extensions.Telemetry"/>).
/// </summary>
public sealed class GenerationMetrics
{
    public const string MeterName = "RefineWeb.Generation";
    readonly Counter<long> imagesGenerated, jobsEnded, previewsSent, previewsDropped;
    readonly Histogram<double> stepLatency, queueWait;
    readonly Histogram<int> batchJobs;

    public GenerationMetrics(IMeterFactory meters, IJobSource queue)
    {
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

    internal void JobEnded(GenerationStatus outcome) =>
        jobsEnded.Add(1, new KeyValuePair<string, object?>("outcome", outcome.ToString().ToLowerInvariant()));

    internal void BatchStarted(IReadOnlyCollection<GenerationJob> batch, DateTimeOffset now)
    {
        batchJobs.Record(batch.Count);
        foreach (var job in batch) queueWait.Record(Math.Max(0, (now - job.CreatedAt).TotalSeconds));
    }

    internal void PreviewsSent(int frames) => previewsSent.Add(frames);

    internal void PreviewsDropped(int frames) => previewsDropped.Add(frames);

    internal void ImagesDone(int count) => imagesGenerated.Add(count);

    internal void Step(string stage, double milliseconds) =>
        stepLatency.Record(milliseconds, new KeyValuePair<string, object?>("stage", stage));
}
