using RefineWeb.Data;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RefineWeb.Engine.Imaging;
using RefineWeb.Gallery;
using RefineWeb.Generation;
using RefineWeb.Generation.Queueing;
using SkiaSharp;

namespace RefineWeb.Benchmarks;

/// <summary>
/// Soak: 8 simulated users (each its own session, cookie kept by hand, REST and hub clients) doing a mix of generate /
/// refine / upload / gallery / share for a while against the real server with its real limits, plus a hostile client
/// replaying the inputs of the hardening issue in a loop. Reports requests, errors by kind (none expected from the
/// well-behaved users), latencies, queue wait, process memory and tensors at start and end, and orphan files and rows.
/// All simulated clients share 127.0.0.1, so the per-address allowance is raised; the per-session one is the default.
/// </summary>
static class SoakBenchmark
{
    const int Users = 8;

    sealed class Stats
    {
        public ConcurrentDictionary<string, ConcurrentBag<double>> Latency { get; } = new();
        public ConcurrentDictionary<string, int> Errors { get; } = new();
        public ConcurrentDictionary<string, int> HostileAnswers { get; } = new();
        public ConcurrentBag<double> QueueWait { get; } = [];
        public int Requests;

        public void Time(string action, double ms) => Latency.GetOrAdd(action, _ => []).Add(ms);
        public void Error(string kind) => Errors.AddOrUpdate(kind, 1, (_, n) => n + 1);
    }

    public static async Task RunAsync(double minutes)
    {
        await using var host = await BenchHost.StartAsync(null, new Dictionary<string, string>
        {
            ["Gallery:CreationsPerMinute"] = "30", ["Gallery:CreationsPerMinutePerAddress"] = "100000", ["Generation:MaxQueuedPerSession"] = "8",
        });
        var stats = new Stats();
        var side = host.Services.GetRequiredService<ModelHost>().Resolutions[^1];

        // Warm up under the same load for a minute (kernels, pools, the engine's native working set for every batch
        // size and stage), let it drain, and take the idle baseline; the end is measured the same way, so the two
        // figures compare like with like.
        await LoadAsync(host.Address, side, new Stats(), TimeSpan.FromMinutes(1), []);
        var (rssStart, tensorsStart) = await IdleAsync(host);

        var memory = new List<(double Minutes, long Rss, long Managed)>();
        double seconds = await LoadAsync(host.Address, side, stats, TimeSpan.FromMinutes(minutes), memory);
        var (rssEnd, tensorsEnd) = await IdleAsync(host);
        var (orphanFiles, missingFiles, rows) = await OrphansAsync(host);

        static string P(IEnumerable<double> values, double q)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length == 0 ? "-" : $"{sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)]:F0}";
        }
        Console.WriteLine($"| RefineWeb soak ({minutes:0.#} min, {Users} users + 1 hostile client, shipped model, {Environment.ProcessorCount} cores) | value |");
        Console.WriteLine("|---|---:|");
        Console.WriteLine($"| requests (all clients) | {stats.Requests} ({stats.Requests / seconds:F1}/s) |");
        foreach (var (action, times) in stats.Latency.OrderBy(kv => kv.Key))
            Console.WriteLine($"| {action}: count, p50 / p95 | {times.Count}, {P(times, 0.5)} / {P(times, 0.95)} ms |");
        Console.WriteLine($"| queue wait (hub generations), p50 / p95 | {P(stats.QueueWait, 0.5)} / {P(stats.QueueWait, 0.95)} ms |");
        Console.WriteLine($"| errors from well-behaved users | {(stats.Errors.IsEmpty ? "0" : string.Join(", ", stats.Errors.Select(kv => $"{kv.Key}: {kv.Value}")))} |");
        Console.WriteLine($"| hostile client's answers | {string.Join(", ", stats.HostileAnswers.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value}"))} |");
        Console.WriteLine($"| process RSS, idle after a minute's warm-up / idle at the end | {rssStart / 1048576} / {rssEnd / 1048576} MB ({100.0 * (rssEnd - rssStart) / rssStart:+0.0;-0.0} %) |");
        long firstHalf = memory.Where(m => m.Minutes <= minutes / 2).Select(m => m.Rss).DefaultIfEmpty().Max(), secondHalf = memory.Where(m => m.Minutes > minutes / 2).Select(m => m.Rss).DefaultIfEmpty().Max();
        Console.WriteLine($"| process RSS under load, highest in the first / second half | {firstHalf / 1048576} / {secondHalf / 1048576} MB |");
        Console.WriteLine($"| live tensors start / end | {tensorsStart} / {tensorsEnd} |");
        Console.WriteLine($"| gallery rows; orphan files; rows without a file | {rows}; {orphanFiles}; {missingFiles} |");
        Console.WriteLine();
        Console.WriteLine("Memory every 30 s (RSS, managed heap): " + string.Join("; ", memory.Select(m => $"{m.Minutes:F1} min {m.Rss / 1048576}/{m.Managed / 1048576} MB")));
    }

    /// <summary>The users and the hostile client for <paramref name="duration"/>, memory sampled every 30 s; returns the seconds it ran.</summary>
    static async Task<double> LoadAsync(string address, int side, Stats stats, TimeSpan duration, List<(double Minutes, long Rss, long Managed)> memory)
    {
        using var stop = new CancellationTokenSource(duration);
        var clock = Stopwatch.StartNew();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try { await Task.Delay(TimeSpan.FromSeconds(30), stop.Token); } catch (OperationCanceledException) { break; }
                lock (memory) memory.Add((clock.Elapsed.TotalMinutes, Process.GetCurrentProcess().WorkingSet64, GC.GetGCMemoryInfo().HeapSizeBytes));
            }
        });
        var users = Enumerable.Range(0, Users).Select(i => UserAsync(address, i, side, stats, stop.Token)).ToList();
        await Task.WhenAll([.. users, HostileAsync(address, side, stats, stop.Token), sampler]);
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Once the last jobs have finished and been stored and the engine has gone idle: RSS and live tensors.</summary>
    static async Task<(long Rss, long Tensors)> IdleAsync(BenchHost host)
    {
        var queue = host.Services.GetRequiredService<GenerationQueue>();
        for (int i = 0; i < 600 && queue.Length > 0; i++) await Task.Delay(100);
        await Task.Delay(3000);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return (Process.GetCurrentProcess().WorkingSet64, TorchSharp.torch.Tensor.TotalCount);
    }

    /// <summary>An HTTP client with a session of its own (the Secure cookie is sent by hand: HttpClient will not over http).</summary>
    internal static async Task<HttpClient> NewSessionAsync(string address)
    {
        var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(2) };
        using var first = await http.GetAsync("/api/v1/gallery");
        http.DefaultRequestHeaders.Add("Cookie", first.Headers.GetValues("Set-Cookie").First().Split(';')[0]);
        return http;
    }

    static async Task UserAsync(string address, int index, int side, Stats stats, CancellationToken stop)
    {
        var random = new Random(index);
        using var http = await NewSessionAsync(address);
        var cookie = http.DefaultRequestHeaders.GetValues("Cookie").First();
        await using var hub = new HubConnectionBuilder().WithUrl(address + Paths.Hub, o => o.Headers.Add("Cookie", cookie)).AddMessagePackProtocol(o => o.SerializerOptions = HubMessagePack.Options).Build();
        await hub.StartAsync(stop);
        string[] prompts = ["red heart", "cat face", "green apple", "smiling face", "blue heart", "sun", "star", "pizza"];
        long seed = index * 1_000_000;
        while (!stop.IsCancellationRequested)
        {
            var prompt = prompts[random.Next(prompts.Length)];
            var clock = Stopwatch.StartNew();
            string action = "";
            try
            {
                int roll = random.Next(100);
                if (roll < 25) { action = "generate (REST, polled)"; await GenerateRestAsync(http, stats, prompt, seed++); }
                else if (roll < 50) { action = "generate (hub, streamed)"; await GenerateHubAsync(hub, stats, prompt, seed++); }
                else if (roll < 60) { action = "upload"; await ExpectAsync(stats, action, await Upload(http, Picture(side, random)), HttpStatusCode.Created); }
                else if (roll < 75) { action = "refine"; await RefineAsync(http, stats, prompt, side, seed++); }
                else if (roll < 90) { action = "gallery"; await ExpectAsync(stats, action, await Send(http, stats, () => http.GetAsync("/api/v1/gallery")), HttpStatusCode.OK); }
                else { action = "share"; await ShareAsync(http, stats); }
                stats.Time(action, clock.Elapsed.TotalMilliseconds);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                stats.Error($"{action}: {e.GetType().Name} {e.Message}");
            }
            try { await Task.Delay(random.Next(2000, 4000), stop); } catch (OperationCanceledException) { break; }
        }
    }

    static async Task<HttpResponseMessage> Send(HttpClient http, Stats stats, Func<Task<HttpResponseMessage>> send)
    {
        Interlocked.Increment(ref stats.Requests);
        return await send();
    }

    static async Task ExpectAsync(Stats stats, string action, HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
            if (response.StatusCode != expected) stats.Error($"{action}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    static async Task GenerateRestAsync(HttpClient http, Stats stats, string prompt, long seed)
    {
        Interlocked.Increment(ref stats.Requests);
        using var created = await http.PostAsJsonAsync("/api/v1/generations", new { prompt, seed });
        if (created.StatusCode != HttpStatusCode.Accepted) throw new InvalidOperationException($"{(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        await WaitForJobAsync(http, stats, created);
    }

    /// <summary>Polls the job a 202 answer names until it ends; throws unless it succeeded.</summary>
    static async Task WaitForJobAsync(HttpClient http, Stats stats, HttpResponseMessage created)
    {
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        while (true)
        {
            await Task.Delay(200);
            Interlocked.Increment(ref stats.Requests);
            var status = (await http.GetFromJsonAsync<JsonElement>($"/api/v1/generations/{id}")).GetProperty("status").GetString();
            if (status == "succeeded") return;
            if (status is "failed" or "cancelled") throw new InvalidOperationException($"job {status}");
        }
    }

    static async Task GenerateHubAsync(HubConnection hub, Stats stats, string prompt, long seed)
    {
        Interlocked.Increment(ref stats.Requests);
        var clock = Stopwatch.StartNew();
        bool running = false;
        await foreach (var update in hub.StreamAsync<GenerationEvent>("Generate", new GenerationInput { Prompt = prompt, Seed = seed }))
        {
            if (!running && update.Status == GenerationStatus.Running) { running = true; stats.QueueWait.Add(clock.Elapsed.TotalMilliseconds); }
            if (update.IsFinal && update.Status != GenerationStatus.Succeeded) throw new InvalidOperationException($"job {update.Status}: {update.Error}");
        }
    }

    static async Task RefineAsync(HttpClient http, Stats stats, string prompt, int side, long seed)
    {
        Interlocked.Increment(ref stats.Requests);
        var gallery = await http.GetFromJsonAsync<JsonElement[]>("/api/v1/gallery");
        var parent = gallery!.FirstOrDefault(i => i.GetProperty("width").GetInt32() == side && i.GetProperty("height").GetInt32() == side);
        if (parent.ValueKind == JsonValueKind.Undefined) { await GenerateRestAsync(http, stats, prompt, seed); return; }
        var mask = new bool[side * side];
        for (int y = side / 4; y < side / 2; y++) for (int x = side / 4; x < side / 2; x++) mask[y * side + x] = true;
        Interlocked.Increment(ref stats.Requests);
        using var created = await http.PostAsJsonAsync("/api/v1/refinements",
            new { parentImageId = parent.GetProperty("id").GetString(), prompt, seed, mask = MaskImage.ToPng(mask, side, side) });
        if (created.StatusCode != HttpStatusCode.Accepted) throw new InvalidOperationException($"{(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        await WaitForJobAsync(http, stats, created);
    }

    static async Task ShareAsync(HttpClient http, Stats stats)
    {
        Interlocked.Increment(ref stats.Requests);
        using var created = await http.PostAsJsonAsync("/api/v1/shares", new { });
        if (created.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"{(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        var url = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!;
        using var anonymous = new HttpClient();
        Interlocked.Increment(ref stats.Requests);
        using var page = await anonymous.GetAsync(url);
        if (page.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"share page {(int)page.StatusCode}");
    }

    static async Task<HttpResponseMessage> Upload(HttpClient http, byte[] file)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(file), "file", "picture.png" } };
        return await http.PostAsync("/api/v1/uploads", form);
    }

    static byte[] Picture(int side, Random random)
    {
        using var bitmap = new SKBitmap(side, side);
        bitmap.Erase(new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The hardening issue's inputs, replayed: every answer must be a deliberate 4xx with a ProblemDetails body.</summary>
    static async Task HostileAsync(string address, int side, Stats stats, CancellationToken stop)
    {
        var random = new Random(99);
        using var http = await NewSessionAsync(address);
        var image = await ImageIdAsync(http, Picture(side, random));
        var text = "hello, I am text"u8.ToArray();
        var oversize = new byte[11 * 1024 * 1024];
        var hostilePng = PngText.With(Picture(side, random), new Dictionary<string, string> { [ImageParameters.JsonKey] = JsonSerializer.Serialize(new { prompt = new string('a', 2_000_000), seed = -5 }) });
        StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
        using var cookieless = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri(address) };
        var attempts = new List<(string Name, Func<Task<HttpResponseMessage>> Send)>
        {
            ("oversize upload", () => Upload(http, oversize)),
            ("multipart without boundary", () => http.PostAsync("/api/v1/uploads", new ByteArrayContent(text) { Headers = { ContentType = MediaTypeHeaderValue.Parse("multipart/form-data") } })),
            ("mask of text", () => http.PostAsync("/api/v1/refinements", Json($$"""{"parentImageId": "{{image}}", "prompt": "red heart", "mask": "{{Convert.ToBase64String(text)}}"}"""))),
            ("mask of the wrong size", () => http.PostAsync("/api/v1/refinements", Json($$"""{"parentImageId": "{{image}}", "prompt": "red heart", "mask": "{{Convert.ToBase64String(Picture(side / 2, random))}}"}"""))),
            ("NaN strength", () => http.PostAsync("/api/v1/upscales", Json($$"""{"imageId": "{{image}}", "prompt": "red heart", "mode": "refine", "strength": "NaN"}"""))),
            ("undefined mode", () => http.PostAsync("/api/v1/upscales", Json($$"""{"imageId": "{{image}}", "prompt": "red heart", "mode": 5}"""))),
            ("seed overflow", () => http.PostAsync("/api/v1/generations", Json("""{"prompt": "red heart", "seed": 9223372036854775807, "count": 2}"""))),
            ("NUL in prompt", () => http.PostAsync("/api/v1/generations", Json("""{"prompt": "red\u0000heart"}"""))),
            ("no content type", () => http.PostAsync("/api/v1/generations", new ByteArrayContent("{\"prompt\": \"red heart\"}"u8.ToArray()))),
            ("cross-site POST", () => http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/shares") { Content = Json("{}"), Headers = { { "Origin", "http://evil.example" } } })),
            ("wrong method", () => http.PutAsync("/api/v1/generations", Json("{}"))),
            ("hostile PNG settings", () => Upload(http, hostilePng)),
            ("cookieless burst", () => cookieless.PostAsync("/api/v1/shares", Json("{}"))),
        };
        var cookie = http.DefaultRequestHeaders.GetValues("Cookie").First();
        await using var hub = new HubConnectionBuilder().WithUrl(address + Paths.Hub, o => o.Headers.Add("Cookie", cookie)).Build();
        await hub.StartAsync(stop);
        while (!stop.IsCancellationRequested)
        {
            foreach (var (name, send) in attempts)
            {
                if (stop.IsCancellationRequested) break;
                Interlocked.Increment(ref stats.Requests);
                try
                {
                    using var response = await send();
                    var body = await response.Content.ReadAsStringAsync();
                    bool problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json" && body.Length > 0;
                    var kind = (int)response.StatusCode >= 500 || (!response.IsSuccessStatusCode && !problem) ? $"UNEXPECTED {(int)response.StatusCode} ({name})" : ((int)response.StatusCode).ToString();
                    stats.HostileAnswers.AddOrUpdate(kind, 1, (_, n) => n + 1);
                }
                catch (Exception e) when (!stop.IsCancellationRequested)
                {
                    stats.HostileAnswers.AddOrUpdate($"UNEXPECTED {e.GetType().Name} ({name})", 1, (_, n) => n + 1);
                }
            }
            // The hub: a null request, and Watch opened and dropped on a job that is not there.
            foreach (var method in new[] { "Generate", "Watch" })
            {
                Interlocked.Increment(ref stats.Requests);
                try
                {
                    await foreach (var _ in hub.StreamAsync<GenerationEvent>(method, null, stop)) { }
                }
                catch (Microsoft.AspNetCore.SignalR.HubException)
                {
                    stats.HostileAnswers.AddOrUpdate("hub refusal", 1, (_, n) => n + 1);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
            }
            try { await Task.Delay(500, stop); } catch (OperationCanceledException) { break; }
        }
    }

    static async Task<string> ImageIdAsync(HttpClient http, byte[] png)
    {
        using var response = await Upload(http, png);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    static async Task<(int OrphanFiles, int MissingFiles, int Rows)> OrphansAsync(BenchHost host)
    {
        var files = host.Services.GetRequiredService<ImageFiles>();
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<GalleryDbContext>>().CreateDbContextAsync();
        var rows = await db.Images.AsNoTracking().Select(i => new { i.FileHash, i.MaskFileHash }).ToListAsync();
        var used = rows.SelectMany(r => new[] { r.FileHash, r.MaskFileHash }).OfType<string>().ToHashSet();
        var onDisk = files.List().Select(f => f.Hash).ToList();
        return (onDisk.Count(h => !used.Contains(h)), used.Count(h => !files.Exists(h)), rows.Count);
    }
}
