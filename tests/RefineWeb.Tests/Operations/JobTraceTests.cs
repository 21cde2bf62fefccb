using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using OpenTelemetry.Trace;
using RefineWeb.Generation;

namespace RefineWeb.Tests.Operations;

/// <summary>A job's trace, read with OpenTelemetry's in-memory exporter: one trace from the request to the stored images.</summary>
[Collection(nameof(ProcessWideTelemetry))]
public sealed class JobTraceTests
{
    [Fact]
    public async Task A_job_is_one_trace_from_its_request_through_the_queue_and_every_stage_to_storage_each_span_naming_the_job()
    {
        var spans = new List<Activity>();
        await using var app = await TinyModelApp.StartAsync(configure: web => web.ConfigureTestServices(services =>
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans))));
        var created = await app.Client.PostAsJsonAsync("/api/v1/generations", new { prompt = "red heart", seed = 3 });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        Assert.Equal("succeeded", (await app.WaitForAsync(id)).GetProperty("status").GetString());

        List<Activity> Of(string name) { lock (spans) return [.. spans.Where(s => s.DisplayName == name && (string?)s.GetTagItem(JobTracing.JobIdTag) == id)]; }
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (Of("generation.store").Count == 0) await Task.Delay(100, patience.Token); // ends just after the final event

        var queued = Of("generation.queued").Single();
        var run = Of("generation.run").Single();
        Activity request;
        lock (spans) request = spans.Single(s => s.Kind == ActivityKind.Server && s.TraceId == run.TraceId);
        Assert.Equal(("POST", "/api/v1/generations"), ((string?)request.GetTagItem("http.request.method"), (string?)request.GetTagItem("url.path")));
        var stages = Of("generation.stage");
        var store = Of("generation.store").Single();
        Assert.All<Activity>([queued, run, .. stages, store], span => Assert.Equal(request.TraceId, span.TraceId));
        Assert.Equal(request.SpanId, queued.ParentSpanId);
        Assert.Equal(request.SpanId, run.ParentSpanId);
        Assert.All(stages, stage => Assert.Equal(run.SpanId, stage.ParentSpanId));
        Assert.Equal(run.SpanId, store.ParentSpanId);
        // Every stage of the tiny model, in order, each within the run.
        Assert.Equal(app.Service<ModelHost>().Model!.Stages.Select(s => s.Config.Name), stages.OrderBy(s => s.StartTimeUtc).Select(s => (string?)s.GetTagItem("refineweb.stage")));
        Assert.All(stages, stage => Assert.InRange(stage.StartTimeUtc, run.StartTimeUtc, run.StartTimeUtc + run.Duration));
        Assert.True(queued.StartTimeUtc + queued.Duration <= run.StartTimeUtc + TimeSpan.FromMilliseconds(1), "the wait ends when the run starts");
        Assert.Equal(ActivityStatusCode.Unset, run.Status);
    }
}
