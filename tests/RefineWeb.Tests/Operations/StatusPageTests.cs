using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using RefineWeb.Operations;

namespace RefineWeb.Tests.Operations;

/// <summary>The operator's status page and the workers' metrics, fed by the engine's status board in one process.</summary>
[Collection(nameof(ProcessWideTelemetry))]
public sealed class StatusPageTests
{
    static Dictionary<string, string> Fast(Dictionary<string, string>? more = null)
    {
        var settings = new Dictionary<string, string> { ["Telemetry:StatusIntervalSeconds"] = "0.2" };
        foreach (var (key, value) in more ?? []) settings[key] = value;
        return settings;
    }

    /// <summary>Waits (60 s at most) until a sample shows what <paramref name="done"/> asks of it.</summary>
    static async Task<StatusSample> SampleWhereAsync(TinyModelApp app, Func<StatusSample, bool> done)
    {
        var status = app.Service<OperatorStatus>();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (status.Latest is not { } sample || !done(sample)) await Task.Delay(100, patience.Token);
        return status.Latest!;
    }

    static string Text(string html, string testId) =>
        WebUtility.HtmlDecode(Regex.Match(html, $@"data-testid=""{Regex.Escape(testId)}""[^>]*>([^<]*)<").Groups[1].Value);

    [Fact]
    public async Task A_finished_job_shows_on_the_page_with_its_images_jobs_and_each_stages_step_time()
    {
        await using var app = await TinyModelApp.StartAsync(Fast());
        var idle = await SampleWhereAsync(app, s => s.Workers.Count == 1);
        Assert.Equal(0, idle.Workers[0].Images);

        var id = await app.PostAsync(new { prompt = "red heart", seed = 3, count = 2 });
        Assert.Equal("succeeded", (await app.WaitForAsync(id)).GetProperty("status").GetString());
        var sample = await SampleWhereAsync(app, s => s.Workers.Single().Succeeded == 1);
        var worker = sample.Workers.Single();
        Assert.Equal(2, worker.Images);
        Assert.Equal(0, worker.BatchJobs); // idle again
        Assert.Equal(1, worker.QueueWaits);
        var stages = app.Service<RefineWeb.Generation.ModelHost>().Model!.Stages.Select(s => s.Config.Name).ToList();
        Assert.Equal(stages, worker.Steps.Keys); // every stage, in the model's order

        var html = await app.Client.GetStringAsync(Contracts.Paths.Status);
        Assert.Equal("1 of 1", Text(html, "status-workers-value"));
        Assert.Equal("1", Text(html, "status-jobs-value"));
        Assert.Matches(@"^\d+\.\d s$", Text(html, "status-wait-value"));
        Assert.Equal("2", Text(html, "worker-images"));
        Assert.Equal("1 succeeded · 0 failed · 0 cancelled", Text(html, "worker-jobs"));
        var steps = Text(html, "chart-steps-latest");
        foreach (var stage in stages) Assert.Matches($@"{stage} \d+ ms", steps);
        Assert.DoesNotContain("red heart", html); // figures only: no prompt reaches the operator's page
    }

    [Fact]
    public async Task The_workers_metrics_reach_the_scraping_endpoint()
    {
        const string token = "scrape-token-0123456789";
        await using var app = await TinyModelApp.StartAsync(Fast(new() { ["Telemetry:PrometheusEnabled"] = "true", ["Telemetry:PrometheusToken"] = token }));
        var id = await app.PostAsync(new { prompt = "red heart", seed = 4 });
        Assert.Equal("succeeded", (await app.WaitForAsync(id)).GetProperty("status").GetString());
        var worker = (await SampleWhereAsync(app, s => s.Workers.Single().Succeeded == 1)).Workers.Single().Name;

        var scraper = app.Factory.CreateClient();
        scraper.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string scrape;
        var images = new Regex($@"^refineweb_worker_images_total\{{[^}}]*worker=""{Regex.Escape(worker)}""[^}}]*\}} 1$", RegexOptions.Multiline);
        do scrape = await scraper.GetStringAsync(Telemetry.MetricsPath, patience.Token); // the exporter caches a scrape briefly
        while (!images.IsMatch(scrape) && !patience.IsCancellationRequested && await Task.Delay(250, patience.Token).ContinueWith(_ => true));
        Assert.Matches(images, scrape);
        Assert.Matches(new Regex(@"^refineweb_workers_alive\{[^}]*\} 1$", RegexOptions.Multiline), scrape);
        Assert.Matches(new Regex($@"^refineweb_worker_jobs_ended_total\{{[^}}]*outcome=""succeeded""[^}}]*\}} 1$", RegexOptions.Multiline), scrape);
    }

    [Fact]
    public async Task An_operator_can_turn_the_page_off()
    {
        await using var app = await TinyModelApp.StartAsync(Fast(new() { ["Telemetry:StatusPageEnabled"] = "false" }));
        var html = await app.Client.GetStringAsync(Contracts.Paths.Status);
        Assert.Contains("data-testid=\"status-off\"", html);
        Assert.DoesNotContain("data-testid=\"status-workers-value\"", html);
    }

    [Fact]
    public async Task A_status_interval_out_of_range_stops_the_start_with_the_reason()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
            await (await TinyModelApp.StartAsync(new Dictionary<string, string> { ["Telemetry:StatusIntervalSeconds"] = "0" })).DisposeAsync());
        Assert.Contains("Telemetry:StatusIntervalSeconds", (error.InnerException ?? error).ToString());
    }
}
