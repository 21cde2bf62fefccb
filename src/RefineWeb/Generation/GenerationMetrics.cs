using System.Diagnostics.Metrics;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Generation;

/// <summary>The engine's metrics (System.Diagnostics.Metrics, meter "RefineWeb.Generation"): queue length, step latency, images made.</summary>
public sealed class GenerationMetrics
{
    public const string MeterName = "RefineWeb.Generation";
    readonly Counter<long> imagesGenerated;
    readonly Histogram<double> stepLatency;

    public GenerationMetrics(IMeterFactory meters, IJobSource queue)
    {
        var meter = meters.Create(MeterName);
        imagesGenerated = meter.CreateCounter<long>("refineweb.images.generated", description: "Images finished.");
        stepLatency = meter.CreateHistogram<double>("refineweb.step.duration", unit: "ms", description: "Wall time of one denoising step of a batch.");
        meter.CreateObservableGauge("refineweb.queue.length", () => queue.Length, description: "Jobs waiting.");
    }

    internal void ImagesDone(int count) => imagesGenerated.Add(count);

    internal void Step(string stage, double milliseconds) =>
        stepLatency.Record(milliseconds, new KeyValuePair<string, object?>("stage", stage));
}
