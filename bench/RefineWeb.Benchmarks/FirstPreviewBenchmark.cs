using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RefineWeb.Generation;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Benchmarks;

/// <summary>
/// Where the time to the first preview goes (issue 40), on the shipped model, idle server, Chromium clicking Generate:
/// click to submission (the click reaching the circuit, the job made and queued), submission to its batch's start
/// (the engine waking), batch start to the first step's end (the base's setup and one step), the step to its preview
/// reaching the page's listener (encoding, hand-off), that to the preview in the page's DOM (the circuit's render
/// and its diff over the WebSocket), and that to the next painted frame. Browser and server stamps share this
/// machine's wall clock (the browser's with sub-millisecond precision).
/// Two engine settings side by side, in alternating rounds of a fresh host each: freed memory given back to the
/// system as soon as the engine falls idle (as before) and after the default idle delay
/// (<see cref="GenerationOptions.TrimAfterIdleSeconds"/>).
/// Usage: dotnet run -c Release --project bench/RefineWeb.Benchmarks -- --first-preview [--runs N (per setting)]
/// </summary>
static class FirstPreviewBenchmark
{
    /// <summary>The server's stamps of one job: submitted, its batch started, its first step ended, its first preview delivered.</summary>
    sealed record ServerStamps(DateTimeOffset Submitted, DateTimeOffset Started)
    {
        public DateTimeOffset? FirstStep { get; set; }
        public DateTimeOffset? FirstPreviewDelivered { get; set; }
    }

    public static async Task RunAsync(int runs)
    {
        var variants = new (string Name, Dictionary<string, string> Settings)[]
        {
            ("memory trimmed as soon as the engine is idle", new() { ["Generation:TrimAfterIdleSeconds"] = "0" }),
            ($"memory trimmed after {new GenerationOptions().TrimAfterIdleSeconds:0.#} s idle (default)", []),
        };
        var rows = variants.Select(_ => new List<double[]>()).ToArray();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true });
        const int rounds = 2;
        for (int round = 0; round < rounds; round++)
            for (int v = 0; v < variants.Length; v++)
                rows[v].AddRange(await MeasureAsync(browser, variants[v].Settings, (runs + rounds - 1) / rounds));

        string[] names =
        [
            "click to submission (the click to the circuit, the job queued)", "submission to batch start (the engine waking)",
            "batch start to the first step's end (setup and one base step)", "first step to its preview at the page's listener (encoding, hand-off)",
            "listener to the preview in the DOM (render, diff over the WebSocket, applied)", "DOM to the next painted frame", "click to painted preview (total)",
        ];
        Console.WriteLine($"| first preview, step by step ({rows[0].Count} runs each, shipped model, idle server, Chromium, {Environment.ProcessorCount} cores): median / p90 | {string.Join(" | ", variants.Select(v => v.Name))} |");
        Console.WriteLine($"|---|{string.Concat(variants.Select(_ => "---:|"))}");
        for (int c = 0; c < names.Length; c++)
            Console.WriteLine($"| {names[c]} | {string.Join(" | ", rows.Select(r => Figure(r.Select(x => x[c]))))} |");
    }

    static string Figure(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return $"{sorted[sorted.Length / 2]:F1} / {sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(0.9 * sorted.Length) - 1)]:F1} ms";
    }

    /// <summary>A fresh host with these settings, one page, <paramref name="runs"/> generations after one not kept.</summary>
    static async Task<List<double[]>> MeasureAsync(IBrowser browser, Dictionary<string, string> settings, int runs)
    {
        await using var host = await BenchHost.StartAsync(null, settings);
        var queue = host.Services.GetRequiredService<IGenerationQueue>();
        var jobs = new ConcurrentDictionary<string, ServerStamps>();
        // Each job's queue span ends as its batch starts, on the engine's thread, before its first step: listening to
        // the job from there misses none of its events.
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == JobTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                if (activity.OperationName != "generation.queued" || activity.GetTagItem(JobTracing.JobIdTag) is not string id) return;
                var stamps = new ServerStamps(new DateTimeOffset(activity.StartTimeUtc), new DateTimeOffset(activity.StartTimeUtc + activity.Duration));
                jobs[id] = stamps;
                if (queue.Find(id) is { } job) _ = FollowAsync(job, stamps);
            },
        };
        ActivitySource.AddActivityListener(listener);

        var page = await browser.NewPageAsync();
        await page.GotoAsync(host.Address);
        await page.WaitForSelectorAsync("[data-testid=generate]:not([disabled])");
        await page.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea").FillAsync("red heart");

        var rows = new List<double[]>();
        for (int i = 0; i < runs + 1; i++) // the first run warms the page's code paths and is not kept
        {
            jobs.Clear();
            // Stamps in the page, on the wall clock: the click, the preview <img> in the DOM, the frame after it painted.
            var browserStamps = await page.EvaluateAsync<double[]>("""
                () => new Promise(resolve => {
                  const now = () => performance.timeOrigin + performance.now();
                  const click = now();
                  new MutationObserver((_, observer) => {
                    if (document.querySelector('img[data-testid=preview]')?.src.startsWith('data:')) {
                      observer.disconnect();
                      const dom = now();
                      requestAnimationFrame(() => requestAnimationFrame(() => resolve([click, dom, now()])));
                    }
                  }).observe(document.body, { subtree: true, childList: true, attributes: true });
                  document.querySelector('[data-testid=generate]').click();
                })
                """);
            await page.Locator("[data-testid=progress-text]", new() { HasText = "Done" }).WaitForAsync();
            await page.WaitForSelectorAsync("[data-testid=generate]:not([disabled])");
            var server = jobs.Values.Single();
            if (i == 0) continue;
            double Ms(DateTimeOffset? at) => at is { } t ? t.ToUnixTimeMilliseconds() + t.Ticks % TimeSpan.TicksPerMillisecond / (double)TimeSpan.TicksPerMillisecond : double.NaN;
            double click = browserStamps[0], dom = browserStamps[1], paint = browserStamps[2];
            double submitted = Ms(server.Submitted), started = Ms(server.Started), step = Ms(server.FirstStep), delivered = Ms(server.FirstPreviewDelivered);
            rows.Add([submitted - click, started - submitted, step - started, delivered - step, dom - delivered, paint - dom, paint - click]);
        }
        await page.CloseAsync();
        return rows;
    }

    /// <summary>The job's first step (its event's engine stamp) and when its first preview reached a listener: as this one gets it.</summary>
    static async Task FollowAsync(GenerationJob job, ServerStamps stamps)
    {
        await foreach (var update in job.Events())
        {
            if (update.Step is not null) stamps.FirstStep ??= update.At;
            if (update.Previews is { Count: > 0 })
            {
                stamps.FirstPreviewDelivered ??= DateTimeOffset.UtcNow;
                return;
            }
        }
    }
}
