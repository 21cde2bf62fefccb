using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace RefineWeb.Benchmarks;

// Scale-out (issue 26), on real processes started by scripts/cluster.sh (Redis, PostgreSQL, one web node, workers
// with one libtorch thread each):
//   throughput of the same 16 jobs (4 sessions x 4, 64 px, default steps) on 1 worker and on 2, interleaved runs, each
//   after a warm-up of 4 jobs per worker;
//   the time from a worker's SIGKILL in the middle of a job to that job running again on the other worker.
// Usage: dotnet run -c Release --project bench/RefineWeb.Benchmarks -- --cluster [--runs N]
static class ClusterBenchmark
{
    const int Jobs = 16, Sessions = 4;

    public static async Task RunAsync(int runs)
    {
        var oneWorker = new List<double>();
        var twoWorkers = new List<double>();
        for (int run = 0; run < runs; run++)
            foreach (int workers in new[] { 1, 2 })
            {
                await using var cluster = await Cluster.UpAsync(workers);
                await WarmUpAsync(cluster.Web, workers);
                double seconds = await SixteenJobsAsync(cluster.Web);
                (workers == 1 ? oneWorker : twoWorkers).Add(seconds);
                Console.WriteLine($"run {run + 1}, {workers} worker(s): {Jobs} jobs in {seconds:F1} s ({Jobs / seconds:F2} jobs/s)");
            }
        double median1 = Median(oneWorker), median2 = Median(twoWorkers);
        Console.WriteLine($"median: 1 worker {median1:F1} s, 2 workers {median2:F1} s: throughput x{median1 / median2:F2} (target >= 1.8)");

        var takeovers = new List<double>();
        await using (var cluster = await Cluster.UpAsync(2))
            for (int run = 0; run < runs; run++)
            {
                takeovers.Add(await TakeoverAsync(cluster));
                Console.WriteLine($"takeover {run + 1}: job running again {takeovers[^1]:F2} s after the SIGKILL");
            }
        Console.WriteLine($"takeover after SIGKILL: median {Median(takeovers):F2} s, worst {takeovers.Max():F2} s (target <= 5 s)");
    }

    /// <summary>Every process compiles its hot paths on first use: a few jobs first, so both sides are measured warm.</summary>
    static async Task WarmUpAsync(string web, int workers)
    {
        var session = new Session(web);
        var ids = new List<string>();
        for (int i = 0; i < 4 * workers; i++) ids.Add(await session.PostAsync(new { prompt = "blue heart", seed = i, stages = 3 }));
        foreach (var id in ids) await session.WaitAsync(id, s => s.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled");
    }

    /// <summary>Wall time from the first POST to the last of 16 jobs ending.</summary>
    static async Task<double> SixteenJobsAsync(string web)
    {
        var sessions = Enumerable.Range(0, Sessions).Select(_ => new Session(web)).ToList();
        var clock = Stopwatch.StartNew();
        var ids = new List<(Session, string)>();
        for (int i = 0; i < Jobs; i++)
        {
            var session = sessions[i % Sessions];
            ids.Add((session, await session.PostAsync(new { prompt = "red heart", seed = 100 + i, stages = 3 })));
        }
        foreach (var (session, id) in ids)
        {
            var status = await session.WaitAsync(id, s => s.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled");
            if (status.GetProperty("status").GetString() != "succeeded") throw new InvalidOperationException($"job {id}: {status}");
        }
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Seconds from the SIGKILL of the worker running a job to that job running (attempt 2) on the other.</summary>
    static async Task<double> TakeoverAsync(Cluster cluster)
    {
        var session = new Session(cluster.Web);
        var id = await session.PostAsync(new { prompt = "cat face", seed = Random.Shared.Next(), stages = 3, steps = new[] { 80, 40, 40 } });
        var running = await session.WaitAsync(id, s => s.GetProperty("status").GetString() == "running" && s.GetProperty("step").ValueKind == JsonValueKind.Number);
        int attempt = running.GetProperty("attempt").GetInt32();
        string worker = running.GetProperty("worker").GetString()!;
        cluster.Kill(worker);
        var killed = Stopwatch.StartNew();
        await session.WaitAsync(id, s => s.GetProperty("attempt").ValueKind == JsonValueKind.Number && s.GetProperty("attempt").GetInt32() > attempt
            && s.GetProperty("status").GetString() == "running", pollMilliseconds: 20);
        double seconds = killed.Elapsed.TotalSeconds;
        await session.WaitAsync(id, s => s.GetProperty("status").GetString() is "succeeded" or "failed");
        await cluster.RestartAsync(worker);
        return seconds;
    }

    static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>A session (its cookie sent by hand: it is Secure, and this client speaks plain http to localhost).</summary>
    sealed class Session(string web)
    {
        readonly HttpClient http = new(new HttpClientHandler { UseCookies = false }) { BaseAddress = new Uri(web) };
        string? cookie;

        public async Task<string> PostAsync(object body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/generations") { Content = JsonContent.Create(body) };
            using var response = await SendAsync(request);
            if ((int)response.StatusCode != 202) throw new InvalidOperationException($"POST: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        }

        public async Task<JsonElement> WaitAsync(string id, Func<JsonElement, bool> until, int pollMilliseconds = 100)
        {
            var deadline = DateTime.UtcNow.AddMinutes(5);
            while (true)
            {
                using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/api/v1/generations/{id}"));
                var status = await response.Content.ReadFromJsonAsync<JsonElement>();
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"GET {id}: {(int)response.StatusCode} {status}");
                if (until(status)) return status;
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"job {id}: {status}");
                await Task.Delay(pollMilliseconds);
            }
        }

        async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
        {
            if (cookie is not null) request.Headers.Add("Cookie", cookie);
            var response = await http.SendAsync(request);
            if (response.Headers.TryGetValues("Set-Cookie", out var set)) cookie = set.First().Split(';')[0];
            return response;
        }
    }

    /// <summary>scripts/cluster.sh up/down, its nodes' pids, and killing or restarting a worker by name.</summary>
    sealed class Cluster : IAsyncDisposable
    {
        readonly string directory = Path.Combine(Path.GetTempPath(), $"refineweb-bench-cluster-{Environment.ProcessId}");
        readonly Dictionary<string, int> workers = [];
        public string Web { get; private set; } = "";

        public static async Task<Cluster> UpAsync(int workerCount)
        {
            var cluster = new Cluster();
            foreach (var line in await cluster.ScriptAsync("up", "--web", "1", "--workers", workerCount.ToString(), "--threads", "1"))
            {
                var parts = line.Split(' ');
                if (parts is ["web", var url, "pid", _]) cluster.Web = url;
                if (parts is ["worker", var name, "pid", var pid]) cluster.workers[name] = int.Parse(pid);
            }
            foreach (var name in cluster.workers.Keys) await cluster.WaitLoadedAsync(name);
            return cluster;
        }

        async Task WaitLoadedAsync(string worker)
        {
            var log = Path.Combine(directory, worker + ".log");
            for (int i = 0; i < 600 && !(File.Exists(log) && (await File.ReadAllTextAsync(log)).Contains("Loaded ")); i++) await Task.Delay(100);
        }

        public void Kill(string worker) => Process.GetProcessById(workers[worker]).Kill();

        /// <summary>Starts the worker again as cluster.sh did (same name and settings).</summary>
        public async Task RestartAsync(string worker)
        {
            var start = new ProcessStartInfo("dotnet", [Path.Combine(Root, "src/RefineWeb/bin/Release/net10.0/RefineWeb.dll"), "worker"])
            {
                WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            foreach (var (key, value) in await EnvironmentOfAsync()) start.Environment[key] = value;
            start.Environment["Generation__WorkerName"] = worker;
            start.Environment["Generation__Threads"] = "1";
            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            workers[worker] = process.Id;
            await File.AppendAllTextAsync(Path.Combine(directory, "pids"), process.Id + "\n");
            await Task.Delay(5000); // its model loads while the next job waits on the other worker
        }

        /// <summary>The cluster's settings, read from a running web node's environment (cluster.sh exports them).</summary>
        async Task<Dictionary<string, string>> EnvironmentOfAsync()
        {
            var pids = await File.ReadAllLinesAsync(Path.Combine(directory, "pids"));
            foreach (var pid in pids)
            {
                var environ = $"/proc/{pid.Trim()}/environ";
                if (!File.Exists(environ)) continue;
                var variables = (await File.ReadAllTextAsync(environ)).Split('\0', StringSplitOptions.RemoveEmptyEntries)
                    .Select(v => v.Split('=', 2)).Where(v => v.Length == 2).ToDictionary(v => v[0], v => v[1]);
                if (variables.ContainsKey("Engine__Mode")) return variables.Where(v => v.Key.Contains("__")).ToDictionary();
            }
            throw new InvalidOperationException("no cluster node found");
        }

        async Task<string[]> ScriptAsync(params string[] args)
        {
            var start = new ProcessStartInfo(Path.Combine(Root, "scripts/cluster.sh"), args) { RedirectStandardOutput = true, WorkingDirectory = Root };
            start.Environment["REFINEWEB_CLUSTER_DIR"] = directory;
            start.Environment["REFINEWEB_CLUSTER_PORT"] = "5300";
            using var script = Process.Start(start)!;
            var output = await script.StandardOutput.ReadToEndAsync();
            await script.WaitForExitAsync();
            if (script.ExitCode != 0) throw new InvalidOperationException($"cluster.sh {string.Join(' ', args)} failed ({script.ExitCode})");
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }

        static string Root
        {
            get
            {
                for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                    if (File.Exists(Path.Combine(dir.FullName, "RefineWeb.sln"))) return dir.FullName;
                throw new InvalidOperationException("RefineWeb.sln not found");
            }
        }

        public async ValueTask DisposeAsync() => await ScriptAsync("down");
    }
}
