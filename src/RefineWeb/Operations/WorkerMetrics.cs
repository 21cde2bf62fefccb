using RefineWeb.Generation;
using System.Diagnostics.Metrics;

namespace RefineWeb.Operations;

/// <summary>
/// The engines' figures as a web node sees them on the status board (meter "RefineWeb.Workers"), so one scrape of any
/// web node covers every worker of a cluster: workers alive, and per worker its images, jobs by outcome, batches
/// taken over and the images of the batch it runs. Totals since each worker started (a restart starts them over,
/// which Prometheus reads as a counter reset).
/// </summary>
public sealed class WorkerMetrics
{
    public const string MeterName = "RefineWeb.Workers";

    public WorkerMetrics(IMeterFactory meters, Func<StatusSample?> latest, TimeSpan interval)
    {
        var meter = meters.Create(MeterName);
        IEnumerable<WorkerStatus> Workers() => latest()?.Workers ?? [];
        static KeyValuePair<string, object?> Worker(WorkerStatus w) => new("worker", w.Name);
        meter.CreateObservableGauge("refineweb.workers.alive", () => latest() is { } sample ? sample.Workers.Count(w => w.IsAlive(sample.At, interval)) : 0,
            description: "Engines heard from within the last three status intervals.");
        meter.CreateObservableCounter("refineweb.worker.images", () => Workers().Select(w => new Measurement<long>(w.Images, Worker(w))),
            description: "Images each engine made since it started.");
        meter.CreateObservableCounter("refineweb.worker.jobs.ended", () => Workers().SelectMany(w => new[]
            {
                new Measurement<long>(w.Succeeded, Worker(w), new("outcome", "succeeded")),
                new Measurement<long>(w.Failed, Worker(w), new("outcome", "failed")),
                new Measurement<long>(w.Cancelled, Worker(w), new("outcome", "cancelled")),
            }), description: "Jobs each engine ended since it started, by outcome.");
        meter.CreateObservableCounter("refineweb.jobs.withdrawn", () => latest()?.Withdrawn ?? 0,
            description: "Jobs cancelled while they waited, ended by this web node before any engine took them.");
        meter.CreateObservableCounter("refineweb.worker.takeovers", () => Workers().Select(w => new Measurement<long>(w.TakenOver, Worker(w))),
            description: "Batches each engine took over from an engine that went silent.");
        meter.CreateObservableGauge("refineweb.worker.batch.images", () => Workers().Select(w => new Measurement<int>(w.BatchImages, Worker(w))),
            description: "Images in the batch each engine runs now (0 when idle).");
    }
}
