using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RefineWeb.Generation;

namespace RefineWeb.Benchmarks;

// Step-level admission against whole batches (issue 40), side by side in one run on one server: 1, 2, 4 and 8 users,
// each its own hub connection asking for one image after another (every step streamed); the two settings take turns
// (Generation:StepLevelAdmission switched between rounds), so the machine's drift hits both alike.
// Reports request to first preview and to final image (p50 / p95) and images per second.
// Usage: dotnet run -c Release --project bench/RefineWeb.Benchmarks -- --admission [--runs N] [--max-running N (Generation:MaxRunningImages)]
static class AdmissionBenchmark
{
    const int ImagesPerUser = 3;
    static readonly int[] UserCounts = [1, 2, 4, 8];

    public static async Task RunAsync(int runs, int? maxRunning)
    {
        await using var host = await BenchHost.StartAsync(null,
            maxRunning is { } images ? new Dictionary<string, string> { ["Generation:MaxRunningImages"] = images.ToString() } : null);
        var options = host.Services.GetRequiredService<IOptions<GenerationOptions>>().Value;
        string[] prompts = ["red heart", "blue heart", "cat face", "red apple", "smiling face", "green circle", "sun", "star"];
        long seed = 0;
        await using (var warm = await HubLoad.ConnectAsync(host)) await HubLoad.StreamedAsync(warm, "warm up", seed++);

        var results = new Dictionary<(bool Admission, int Users), (List<double> First, List<double> Total, double Images, double Seconds)>();
        for (int run = 0; run < runs; run++)
            foreach (int users in UserCounts)
                foreach (bool admission in run % 2 == 0 ? new[] { true, false } : [false, true])
                {
                    options.StepLevelAdmission = admission;
                    var clients = await Task.WhenAll(Enumerable.Range(0, users).Select(_ => HubLoad.ConnectAsync(host)));
                    var first = new ConcurrentBag<double>();
                    var total = new ConcurrentBag<double>();
                    var wall = Stopwatch.StartNew();
                    await Task.WhenAll(clients.Select(async (client, u) =>
                    {
                        for (int r = 0; r < ImagesPerUser; r++)
                        {
                            var (preview, end) = await HubLoad.StreamedAsync(client, prompts[(u + r) % prompts.Length], Interlocked.Increment(ref seed));
                            first.Add(preview);
                            total.Add(end);
                        }
                    }));
                    double seconds = wall.Elapsed.TotalSeconds;
                    foreach (var client in clients) await client.DisposeAsync();
                    var kept = results.GetValueOrDefault((admission, users), ([], [], 0, 0));
                    kept.First.AddRange(first);
                    kept.Total.AddRange(total);
                    results[(admission, users)] = (kept.First, kept.Total, kept.Images + users * ImagesPerUser, kept.Seconds + seconds);
                }

        Console.WriteLine($"| RefineWeb admission benchmark ({runs} runs x {ImagesPerUser} images per user, shipped model, MaxBatchImages {options.MaxBatchImages}, MaxRunningImages {options.MaxRunningImages?.ToString() ?? "(= MaxBatchImages)"}, {Environment.ProcessorCount} cores) | step-level admission | whole batches |");
        Console.WriteLine("|---|---:|---:|");
        foreach (int users in UserCounts)
        {
            string Figures(bool admission)
            {
                var (first, total, images, seconds) = results[(admission, users)];
                return $"{HubLoad.Percentile(first, 0.5):F0} / {HubLoad.Percentile(first, 0.95):F0} ms; {HubLoad.Percentile(total, 0.5):F0} / {HubLoad.Percentile(total, 0.95):F0} ms; {images / seconds:F2}/s";
            }
            Console.WriteLine($"| {users} user{(users == 1 ? "" : "s")}: first preview p50 / p95; final image p50 / p95; images/s | {Figures(true)} | {Figures(false)} |");
        }
        double Gain(bool admission) => results[(admission, 8)].Images / results[(admission, 8)].Seconds / (results[(admission, 1)].Images / results[(admission, 1)].Seconds);
        Console.WriteLine($"| throughput, 8 users against 1 | {Gain(true):F2}x | {Gain(false):F2}x |");
        options.StepLevelAdmission = true;
    }
}
