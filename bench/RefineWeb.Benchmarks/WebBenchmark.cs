using System.Diagnostics;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Playwright;
using Microsoft.Extensions.DependencyInjection;
using RefineWeb.Generation;

namespace RefineWeb.Benchmarks;

// The web app's targets (issue 4), measured end to end on the shipped model with default settings:
//   first preview on screen after Generate (idle server), the cost of streaming every step, and the throughput of
//   8 concurrent users against 8 requests one after another.
// Usage: dotnet run -c Release --project bench/RefineWeb.Benchmarks [-- --runs N] [--max-batch N (Generation:MaxBatchImages)]
//        [--single-image-threads N (Generation:SingleImageThreads)]
//        dotnet run -c Release --project bench/RefineWeb.Benchmarks -- --soak [minutes] (see SoakBenchmark)
//        dotnet run -c Release --project bench/RefineWeb.Benchmarks -- --roofline [--runs N] (see RooflineBenchmark)
//        dotnet run -c Release --project bench/RefineWeb.Benchmarks -- --cluster [--runs N] (see ClusterBenchmark)
//        dotnet run -c Release --project bench/RefineWeb.Benchmarks -- --estimates [--jobs N] (see EstimateBenchmark)
//        dotnet run -c Release --project bench/RefineWeb.Benchmarks -- --first-preview [--runs N] (see FirstPreviewBenchmark)
//        dotnet run -c Release --project bench/RefineWeb.Benchmarks -- --admission [--runs N] (see AdmissionBenchmark)
static class WebBenchmark
{
    static async Task Main(string[] args)
    {
        if (args.Contains("--roofline"))
        {
            RooflineBenchmark.Run(args.SkipWhile(a => a != "--runs").Skip(1).Select(int.Parse).FirstOrDefault(10));
            return;
        }
        if (args.Contains("--cluster"))
        {
            await ClusterBenchmark.RunAsync(args.SkipWhile(a => a != "--runs").Skip(1).Select(int.Parse).FirstOrDefault(3));
            return;
        }
        if (args.Contains("--admission"))
        {
            await AdmissionBenchmark.RunAsync(args.SkipWhile(a => a != "--runs").Skip(1).Select(int.Parse).FirstOrDefault(2),
                args.SkipWhile(a => a != "--max-running").Skip(1).Select(int.Parse).Cast<int?>().FirstOrDefault());
            return;
        }
        if (args.Contains("--first-preview"))
        {
            await FirstPreviewBenchmark.RunAsync(args.SkipWhile(a => a != "--runs").Skip(1).Select(int.Parse).FirstOrDefault(10));
            return;
        }
        if (args.Contains("--estimates"))
        {
            await EstimateBenchmark.RunAsync(args.SkipWhile(a => a != "--jobs").Skip(1).Select(int.Parse).FirstOrDefault(50), args.Contains("--whole-batches"));
            return;
        }
        if (args.Contains("--soak"))
        {
            await SoakBenchmark.RunAsync(args.SkipWhile(a => a != "--soak").Skip(1).Select(double.Parse).FirstOrDefault(10));
            return;
        }
        int runs = args.SkipWhile(a => a != "--runs").Skip(1).Select(int.Parse).FirstOrDefault(10);
        int? maxBatch = args.SkipWhile(a => a != "--max-batch").Skip(1).Select(int.Parse).Cast<int?>().FirstOrDefault();
        // --single-image-threads N: libtorch threads for a one-image batch (Generation:SingleImageThreads), to compare.
        var settings = args.SkipWhile(a => a != "--single-image-threads").Skip(1).Take(1)
            .ToDictionary(_ => "Generation:SingleImageThreads", value => value);
        await using var host = await BenchHost.StartAsync(maxBatch, settings);
        long seed = 0;

        Task<HubConnection> ConnectAsync() => HubLoad.ConnectAsync(host);

        Task<(double FirstPreview, double Total)> StreamedAsync(HubConnection connection, string prompt) => HubLoad.StreamedAsync(connection, prompt, seed++);

        // One generation submitted in-process with a listener that drains its events: previews encoded, nothing sent.
        async Task<double> EncodedOnlyAsync(string prompt)
        {
            var clock = Stopwatch.StartNew();
            var job = host.Services.GetRequiredService<GenerationService>().Submit(Guid.NewGuid(), new GenerationInput { Prompt = prompt, Seed = seed++ }).Job!;
            await foreach (var update in job.Listen().ReadAllAsync()) { }
            return clock.Elapsed.TotalMilliseconds;
        }

        // One generation submitted in-process with nobody listening (no previews encoded), its end noticed by checking the
        // job every 5 ms (a REST client polling every 2 ms took CPU from the engine and made this baseline slower).
        async Task<double> UnwatchedAsync(string prompt)
        {
            var clock = Stopwatch.StartNew();
            var job = host.Services.GetRequiredService<GenerationService>().Submit(Guid.NewGuid(), new GenerationInput { Prompt = prompt, Seed = seed++ }).Job!;
            while (!job.Latest.IsFinal) await Task.Delay(5);
            if (job.Latest.Status != GenerationStatus.Succeeded) throw new InvalidOperationException($"{job.Latest.Status}: {job.Latest.Error}");
            return clock.Elapsed.TotalMilliseconds;
        }

        static double Percentile(IEnumerable<double> values, double share) => HubLoad.Percentile(values, share);

        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }

        string[] prompts = ["red heart", "blue heart", "cat face", "red apple", "smiling face", "green circle", "sun", "star"];
        await using var connection = await ConnectAsync();
        await StreamedAsync(connection, "warm up");
        await UnwatchedAsync("warm up");

        // 1. Streaming cost: the same requests with and without previews, interleaved so drift hits both alike.
        var streamed = new List<(double FirstPreview, double Total)>();
        var unwatched = new List<double>();
        var encodedOnly = new List<double>();
        // The same with one libtorch thread on a one-image batch (Generation:SingleImageThreads = 1), interleaved too:
        // the threads lever side by side.
        var engineOptions = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<GenerationOptions>>().Value;
        int? configuredThreads = engineOptions.SingleImageThreads;
        var oneThreadStreamed = new List<double>();
        var oneThreadUnwatched = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            engineOptions.SingleImageThreads = configuredThreads;
            streamed.Add(await StreamedAsync(connection, prompts[i % prompts.Length]));
            unwatched.Add(await UnwatchedAsync(prompts[i % prompts.Length]));
            encodedOnly.Add(await EncodedOnlyAsync(prompts[i % prompts.Length]));
            engineOptions.SingleImageThreads = 1;
            oneThreadStreamed.Add((await StreamedAsync(connection, prompts[i % prompts.Length])).Total);
            oneThreadUnwatched.Add(await UnwatchedAsync(prompts[i % prompts.Length]));
        }
        engineOptions.SingleImageThreads = configuredThreads;

        // 2. First preview on screen: Chromium, click Generate, until the preview <img> first appears.
        var onScreen = new List<double>();
        using (var playwright = await Playwright.CreateAsync())
        {
            await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true });
            var page = await browser.NewPageAsync();
            await page.GotoAsync(host.Address);
            await page.WaitForSelectorAsync("[data-testid=generate]:not([disabled])");
            await page.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea").FillAsync("red heart");
            for (int i = 0; i < runs; i++)
            {
                // Timed inside the page: from the click to the first frame with a preview image.
                double ms = await page.EvaluateAsync<double>("""
                    () => new Promise(resolve => {
                      const start = performance.now();
                      new MutationObserver((_, observer) => {
                        if (document.querySelector('img[data-testid=preview]')?.src.startsWith('data:')) { observer.disconnect(); resolve(performance.now() - start); }
                      }).observe(document.body, { subtree: true, childList: true, attributes: true });
                      document.querySelector('[data-testid=generate]').click();
                    })
                    """);
                onScreen.Add(ms);
                await page.Locator("[data-testid=progress-text]", new() { HasText = "Done" }).WaitForAsync();
                await page.WaitForSelectorAsync("[data-testid=generate]:not([disabled])");
            }
        }

        // 3. Load: 1, 2, 4 and 8 users, each its own connection asking for one image after another (every step
        //    streamed): images per second, and each request's time from asking to its final image.
        const int perUser = 3;
        var load = new List<(int Users, double ImagesPerSecond, double P50, double P95, double FirstP50, double FirstP95)>();
        foreach (int users in new[] { 1, 2, 4, 8 })
        {
            var clients = await Task.WhenAll(Enumerable.Range(0, users).Select(_ => ConnectAsync()));
            var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
            var firstPreviews = new System.Collections.Concurrent.ConcurrentBag<double>();
            var wall = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select(async (client, u) =>
            {
                for (int r = 0; r < perUser; r++)
                {
                    var (first, total) = await StreamedAsync(client, prompts[(u + r) % prompts.Length]);
                    latencies.Add(total);
                    firstPreviews.Add(first);
                }
            }));
            load.Add((users, users * perUser / wall.Elapsed.TotalSeconds, Percentile(latencies, 0.5), Percentile(latencies, 0.95),
                Percentile(firstPreviews, 0.5), Percentile(firstPreviews, 0.95)));
            foreach (var client in clients) await client.DisposeAsync();
        }

        // 4. The engine alone (nobody listening): the same 8 requests one after another, then all at once.
        var engineSequential = Stopwatch.StartNew();
        for (int i = 0; i < 8; i++) await UnwatchedAsync(prompts[i]);
        double engineSequentialMs = engineSequential.Elapsed.TotalMilliseconds;
        var engineConcurrent = Stopwatch.StartNew();
        await Task.WhenAll(prompts.Select(UnwatchedAsync));
        double engineConcurrentMs = engineConcurrent.Elapsed.TotalMilliseconds;

        double streamedMedian = Median(streamed.Select(s => s.Total)), unwatchedMedian = Median(unwatched);
        Console.WriteLine($"| RefineWeb web benchmark ({runs} runs, shipped model, default settings{string.Concat(settings.Select(s => $", {s.Key} {s.Value}"))}, {Environment.ProcessorCount} cores) | measured | target |");
        Console.WriteLine("|---|---:|---:|");
        Console.WriteLine($"| first preview on screen after Generate (Chromium, median) | {Median(onScreen):F0} ms | <= 100 ms |");
        Console.WriteLine($"| first preview event over SignalR (median) | {Median(streamed.Select(s => s.FirstPreview)):F0} ms | |");
        Console.WriteLine($"| one image, every step streamed (median) | {streamedMedian:F0} ms | |");
        Console.WriteLine($"| one image, previews encoded for an in-process listener (median) | {Median(encodedOnly):F0} ms | |");
        Console.WriteLine($"| one image, no previews (median) | {unwatchedMedian:F0} ms | |");
        Console.WriteLine($"| streaming cost | {100 * (streamedMedian / unwatchedMedian - 1):+0.0;-0.0} % | <= 5 % |");
        double oneThreadStreamedMedian = Median(oneThreadStreamed), oneThreadUnwatchedMedian = Median(oneThreadUnwatched);
        Console.WriteLine($"| one thread on one image (interleaved): streamed / no previews / streaming cost | {oneThreadStreamedMedian:F0} / {oneThreadUnwatchedMedian:F0} ms / {100 * (oneThreadStreamedMedian / oneThreadUnwatchedMedian - 1):+0.0;-0.0} % | |");
        foreach (var (users, rate, p50, p95, firstP50, firstP95) in load)
            Console.WriteLine($"| {users} user{(users == 1 ? "" : "s")} ({perUser} images each, streamed): images/s; request to first preview p50 / p95; to final image p50 / p95 | {rate:F2}/s; {firstP50:F0} / {firstP95:F0} ms; {p50:F0} / {p95:F0} ms | |");
        Console.WriteLine($"| throughput gain, 8 users against 1 | {load[^1].ImagesPerSecond / load[0].ImagesPerSecond:F2}x | >= 2x |");
        Console.WriteLine($"| engine only (no previews): 8 one after another / 8 at once | {engineSequentialMs:F0} / {engineConcurrentMs:F0} ms ({engineSequentialMs / engineConcurrentMs:F2}x) | |");
    }
}
