using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using RefineWeb.Operations;

namespace RefineWeb.Tests.Operations;

/// <summary>The Prometheus scraping endpoint: off by default, answered only with the operator's token, and its figures move with the work.</summary>
[Collection(nameof(ProcessWideTelemetry))]
public sealed class MetricsEndpointTests
{
    const string Token = "scrape-token-0123456789";

    static Dictionary<string, string> Enabled(string? token = Token) => new()
    {
        ["Telemetry:PrometheusEnabled"] = "true",
        ["Telemetry:PrometheusToken"] = token ?? "",
    };

    static double Sample(string scrape, string metric, string label)
    {
        var match = Regex.Match(scrape, $@"^{Regex.Escape(metric)}\{{[^}}]*{Regex.Escape(label)}[^}}]*\}} (\S+)", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [Fact]
    public async Task Without_configuration_there_is_no_metrics_endpoint()
    {
        await using var app = await TinyModelApp.StartAsync();
        var response = await app.Client.GetAsync(Telemetry.MetricsPath);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("refineweb_", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_endpoint_wants_the_operators_token_and_counts_a_finished_job_and_its_wait()
    {
        await using var app = await TinyModelApp.StartAsync(Enabled());
        var scraper = app.Factory.CreateClient();

        var anonymous = await scraper.GetAsync(Telemetry.MetricsPath);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        var problem = await anonymous.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("PrometheusToken", problem.GetProperty("detail").GetString());
        scraper.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong-token-0123456789");
        Assert.Equal(HttpStatusCode.Unauthorized, (await scraper.GetAsync(Telemetry.MetricsPath)).StatusCode);

        scraper.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var before = await scraper.GetStringAsync(Telemetry.MetricsPath);
        double succeededBefore = Sample(before, "refineweb_jobs_ended_total", "outcome=\"succeeded\"");

        var created = await app.Client.PostAsJsonAsync("/api/v1/generations", new { prompt = "red heart", seed = 3, count = 2 });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        Assert.Equal("succeeded", (await app.WaitForAsync(id)).GetProperty("status").GetString());

        // The exporter caches a scrape briefly: ask again until the job shows (or fail after 60 s, for a loaded machine).
        string after = before;
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (Sample(after, "refineweb_jobs_ended_total", "outcome=\"succeeded\"") <= succeededBefore)
        {
            await Task.Delay(250, patience.Token);
            after = await scraper.GetStringAsync(Telemetry.MetricsPath, patience.Token);
        }
        // At least this job (a host disposed while this test ran could still add its last figures).
        Assert.True(Sample(after, "refineweb_jobs_ended_total", "outcome=\"succeeded\"") >= succeededBefore + 1);
        Assert.True(Sample(after, "refineweb_images_generated_total", "") >= 2, "the job's two images are not counted");
        Assert.Contains("refineweb_queue_wait_seconds_count", after);
        Assert.Contains("refineweb_step_duration_milliseconds_bucket{", after);
        Assert.Contains("refineweb_queue_length", after);
        Assert.Contains("http_server_request_duration_seconds", after); // the framework's own meters come along
    }

    [Fact]
    public async Task Turning_the_endpoint_on_without_a_long_token_stops_the_start_with_the_reason()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () => await (await TinyModelApp.StartAsync(Enabled("short"))).DisposeAsync());
        var reason = error is InvalidOperationException ? error : error.InnerException ?? error;
        Assert.Contains("Telemetry:PrometheusToken", reason.ToString());
    }
}
