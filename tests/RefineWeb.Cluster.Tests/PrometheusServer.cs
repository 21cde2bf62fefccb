using System.Diagnostics;
using System.Net.Http.Json;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace RefineWeb.Cluster.Tests;

/// <summary>
/// Debian's prometheus (scripts/test.sh installs it) on a free loopback port, scraping the given web nodes' /metrics
/// every second with the operator's bearer token, its data in a temporary folder; stopped and removed on dispose.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string Executable = "/usr/bin/prometheus";

    readonly Process process;
    readonly string directory;
    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(5) };

    PrometheusServer(Process process, string directory, string address) => (this.process, this.directory, Address) = (process, directory, address);

    public string Address { get; }

    public static async Task<PrometheusServer> StartAsync(IEnumerable<string> webUrls, string token)
    {
        if (!File.Exists(Executable)) throw new InvalidOperationException($"{Executable} is missing: install Debian's prometheus (scripts/test.sh does).");
        var directory = Directory.CreateTempSubdirectory("refineweb-prometheus-").FullName;
        var targets = string.Join(", ", webUrls.Select(url => $"'{new Uri(url).Authority}'"));
        File.WriteAllText(Path.Combine(directory, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: refineweb
                metrics_path: /metrics
                authorization:
                  type: Bearer
                  credentials: '{token}'
                static_configs:
                  - targets: [{targets}]
            """);
        int port = FreePort();
        var start = new ProcessStartInfo(Executable,
        [
            $"--config.file={Path.Combine(directory, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(directory, "data")}",
            $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
        ]) { RedirectStandardOutput = true, RedirectStandardError = true };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(process, directory, $"http://127.0.0.1:{port}");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await server.ReadyAsync())
        {
            if (process.HasExited || DateTime.UtcNow > deadline) throw new TimeoutException("prometheus never became ready.");
            await Task.Delay(200);
        }
        return server;
    }

    async Task<bool> ReadyAsync()
    {
        try { return (await http.GetAsync(Address + "/-/ready")).IsSuccessStatusCode; }
        catch (HttpRequestException) { return false; }
        catch (TaskCanceledException) { return false; }
    }

    /// <summary>An instant query: each series' labels and value.</summary>
    public async Task<List<(Dictionary<string, string> Labels, double Value)>> QueryAsync(string promQl)
    {
        var json = await http.GetFromJsonAsync<JsonElement>($"{Address}/api/v1/query?query={Uri.EscapeDataString(promQl)}");
        if (json.GetProperty("status").GetString() != "success") throw new InvalidOperationException(json.ToString());
        return [.. json.GetProperty("data").GetProperty("result").EnumerateArray().Select(series => (
            series.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
            double.Parse(series.GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture)))];
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        if (!process.HasExited) process.Kill();
        process.WaitForExit(10_000);
        process.Dispose();
        http.Dispose();
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
