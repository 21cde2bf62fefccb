using Microsoft.AspNetCore.Components;
using MudBlazor;
using RefineWeb.Operations;

namespace RefineWeb.Components.Pages.Status;

/// <summary>
/// The operator's live status page: the queue, throughput, step times per stage and queue wait over the last minutes,
/// and every engine as last heard (one process: its own engine; a cluster: every worker, through the status board).
/// It redraws at each sample. Figures only: no prompt, image or session appears here.
/// </summary>
public partial class Status : IDisposable
{
    [Inject] OperatorStatus Sampler { get; set; } = default!;
    [Inject] TelemetryOptions Options { get; set; } = default!;

    StatusReport report = StatusReport.From([], TimeSpan.FromSeconds(5));
    StatusSample? latest;
    string[] labels = [];
    List<ChartSeries<double>> stepSeries = [];

    protected override void OnInitialized()
    {
        Refresh();
        Sampler.Sampled += OnSampled;
    }

    void OnSampled() => _ = InvokeAsync(() =>
    {
        Refresh();
        StateHasChanged();
    });

    void Refresh()
    {
        var samples = Sampler.Samples;
        report = StatusReport.From(samples, Sampler.Interval);
        latest = samples.Count > 0 ? samples[^1] : null;
        labels = Labels(report.Times);
        stepSeries = [.. report.StepMilliseconds.Select(s => new ChartSeries<double> { Name = s.Stage, Data = new ChartData<double>([.. s.Milliseconds]) })];
    }

    static List<ChartSeries<double>> Line(string name, double[] values) => [new ChartSeries<double> { Name = name, Data = new ChartData<double>(values) }];

    static List<ChartSeries<double>> Line(string name, double?[] values) => [new ChartSeries<double> { Name = name, Data = new ChartData<double>(values) }];

    /// <summary>About six labels along the axis, as minutes before the latest sample ("now" last).</summary>
    static string[] Labels(IReadOnlyList<DateTimeOffset> times)
    {
        int n = times.Count;
        var labels = new string[n];
        int every = Math.Max(1, n / 5);
        for (int i = 0; i < n; i++)
        {
            int fromEnd = n - 1 - i;
            var age = times[^1] - times[i];
            labels[i] = fromEnd == 0 ? "now" : fromEnd % every == 0 ? (age.TotalMinutes >= 1 ? $"-{age.TotalMinutes:0.#} min" : $"-{age.TotalSeconds:0} s") : "";
        }
        return labels;
    }

    List<ChartSeries<double>> EngineSeries =>
    [
        new ChartSeries<double> { Name = "images being made", Data = new ChartData<double>(report.ImagesInFlight) },
        new ChartSeries<double> { Name = "engines heard from", Data = new ChartData<double>(report.EnginesAlive) },
    ];

    string EnginesText
    {
        get
        {
            int images = (int)report.ImagesInFlight.LastOrDefault(), engines = report.WorkersAlive;
            return $"{images} {(images == 1 ? "image" : "images")} being made by {engines} {(engines == 1 ? "engine" : "engines")}";
        }
    }

    string WindowText => $"Live: a sample every {Sampler.Interval.TotalSeconds:0.#} s, charts over the last {Options.StatusMinutes:0.#} minutes"
        + (report.Times.Count > 1 ? $" (now {report.Span.TotalMinutes:0.#} min of samples)." : ".");

    string JobsHint => $"{report.Window.Succeeded} succeeded · {report.Window.Failed} failed · {report.Window.Cancelled + report.Withdrawn} cancelled"
        + (report.Withdrawn > 0 ? $" ({report.Withdrawn} while waiting)" : "");

    string WaitText => report.Window.QueueWaits > 0 ? $"{report.Window.QueueWaitSeconds / report.Window.QueueWaits:0.0} s" : "–";

    string StepsText => string.Join(", ", report.StepMilliseconds
        .Select(s => (s.Stage, Last: s.Milliseconds.LastOrDefault(v => v is not null)))
        .Where(s => s.Last is not null).Select(s => $"{s.Stage} {s.Last:0} ms"));

    public void Dispose() => Sampler.Sampled -= OnSampled;
}
