using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace RefineWeb.Benchmarks;

// How honest the page's and the API's numbers are (issue 39, item 3), on the shipped model with a real queue:
// 50 jobs from 5 sessions arriving at random (a fixed seed), mixed sizes (1-2 images, 3-5 stages, default or more
// base steps), each polled every 250 ms. Reported: the time-left estimate at 25 % progress against the time that
// really remained (target: within 25 % for 80 % of jobs); "N ahead of you" against the jobs that really ran first
// among those already queued (target: exact); and whether a waiting job's estimate counts down between polls.
// Usage: dotnet run -c Release --project bench/RefineWeb.Benchmarks -- --estimates [--jobs N] [--whole-batches]   (BENCH_VERBOSE=1: every job, and the timings the engine learnt)
static class EstimateBenchmark
{
    sealed record Poll(DateTimeOffset At, string Status, double Progress, double? SecondsLeft, double? SecondsUntilStart, int? JobsAhead);

    sealed class Tracked(string id, DateTimeOffset postedAt, string body)
    {
        public string Body { get; } = body;
        public string Id { get; } = id;
        public DateTimeOffset PostedAt { get; } = postedAt;
        public List<Poll> Polls { get; } = [];
        public DateTimeOffset? StartedAt { get; set; }
        public DateTimeOffset? EndedAt { get; set; }
    }

    static readonly string[] Prompts = ["red heart", "blue heart", "cat face", "green apple", "sun face", "star", "rainbow", "orange flower"];

    public static async Task RunAsync(int jobCount, bool wholeBatches = false)
    {
        await using var host = await BenchHost.StartAsync(maxBatchImages: null,
            wholeBatches ? new Dictionary<string, string> { ["Generation:StepLevelAdmission"] = "false" } : null);
        Console.WriteLine(wholeBatches ? "Whole batches (Generation:StepLevelAdmission false)" : "Step-level admission (the default)");
        var sessions = new List<HttpClient>();
        for (int i = 0; i < 5; i++) sessions.Add(await SoakBenchmark.NewSessionAsync(host.Address));
        var random = new Random(39);
        var plan = Enumerable.Range(0, jobCount).Select(i => (
            Session: i % sessions.Count,
            Gap: random.NextDouble() * 1.2, // seconds after the previous submission of any session: the queue builds up
            Body: new Dictionary<string, object>
            {
                ["prompt"] = Prompts[random.Next(Prompts.Length)], ["seed"] = i,
                ["count"] = random.Next(4) == 0 ? 2 : 1, ["stages"] = 3 + random.Next(3),
                ["steps"] = random.Next(3) == 0 ? new[] { 30 } : new[] { 20 },
            })).ToList();

        var tracked = new List<Tracked>();
        var followers = new List<Task>();
        var clock = Stopwatch.StartNew();
        foreach (var (session, gap, body) in plan)
        {
            await Task.Delay(TimeSpan.FromSeconds(gap));
            var http = sessions[session];
            using var posted = await http.PostAsJsonAsync("/api/v1/generations", body);
            if (!posted.IsSuccessStatusCode) throw new InvalidOperationException($"POST answered {(int)posted.StatusCode}: {await posted.Content.ReadAsStringAsync()}");
            var id = (await posted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            var job = new Tracked(id, DateTimeOffset.UtcNow, $"{body["count"]} images, {body["stages"]} stages, {((int[])body["steps"])[0]} steps");
            tracked.Add(job);
            followers.Add(FollowAsync(http, job));
        }
        await Task.WhenAll(followers);
        Console.WriteLine($"{jobCount} jobs from {sessions.Count} sessions in {clock.Elapsed.TotalSeconds:F0} s");
        Report(tracked);
        if (Environment.GetEnvironmentVariable("BENCH_VERBOSE") is not null)
        {
            var timing = host.Services.GetRequiredService<RefineWeb.Generation.GenerationTiming>();
            foreach (int images in new[] { 1, 2, 3, 4 })
                Console.WriteLine($"  {images} images: 5 stages {timing.Timeline(0, 5, null, images: images)?.TotalMilliseconds:F0} ms, 3 stages {timing.Timeline(0, 3, null, images: images)?.TotalMilliseconds:F0} ms; base step "
                    + $"{timing.MillisecondsPerStep("base", images):F1} ms");
            foreach (var job in tracked.Take(50))
                Console.WriteLine($"  {job.Id[..6]} {job.Body}: ran {(job.EndedAt!.Value - job.StartedAt!.Value).TotalMilliseconds:F0} ms");
        }
        foreach (var http in sessions) http.Dispose();
    }

    static async Task FollowAsync(HttpClient http, Tracked job)
    {
        while (true)
        {
            var status = await http.GetFromJsonAsync<JsonElement>($"/api/v1/generations/{job.Id}");
            var now = DateTimeOffset.UtcNow;
            string state = status.GetProperty("status").GetString()!;
            job.Polls.Add(new Poll(now, state, status.GetProperty("progress").GetDouble(), Number(status, "secondsLeft"), Number(status, "secondsUntilStart"),
                status.TryGetProperty("jobsAhead", out var ahead) && ahead.ValueKind == JsonValueKind.Number ? ahead.GetInt32() : null));
            if (state is "succeeded" or "failed" or "cancelled")
            {
                if (state != "succeeded") throw new InvalidOperationException($"{job.Id} ended {state}");
                job.StartedAt = status.GetProperty("startedAt").GetDateTimeOffset();
                job.EndedAt = status.GetProperty("endedAt").GetDateTimeOffset();
                return;
            }
            await Task.Delay(250);
        }
    }

    static double? Number(JsonElement status, string name) =>
        status.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    static void Report(List<Tracked> jobs)
    {
        // 1. The time left at 25 % progress (the first poll at or past it), against what really remained.
        var errors = new List<double>();
        var signed = new List<double>();
        foreach (var job in jobs)
            if (job.Polls.FirstOrDefault(p => p.Status == "running" && p.Progress >= 0.25 && p.SecondsLeft is not null) is { } poll)
            {
                double real = (job.EndedAt!.Value - poll.At).TotalSeconds;
                if (real > 0) errors.Add(Math.Abs(poll.SecondsLeft!.Value - real) / real);
                if (real > 0) signed.Add((poll.SecondsLeft!.Value - real) / real);
                if (Environment.GetEnvironmentVariable("BENCH_VERBOSE") is not null)
                    Console.WriteLine($"  {job.Id[..6]} at {poll.Progress:P0}: told {poll.SecondsLeft:F2} s, really {real:F2} s; ran {(job.EndedAt!.Value - job.StartedAt!.Value).TotalSeconds:F2} s");
            }
        errors.Sort();
        Console.WriteLine($"time left at 25 %: {errors.Count} jobs measured; within 25 % of the real rest: {errors.Count(e => e <= 0.25) * 100.0 / Math.Max(1, errors.Count):F0} % "
            + $"(target 80 %); median error {Percentile(errors, 0.5) * 100:F0} %, p80 {Percentile(errors, 0.8) * 100:F0} %; "
            + $"told {(signed.Count > 0 ? signed.Average() : 0) * 100:+0;-0} % against the real rest on average");

        // 2. "N ahead of you": the jobs already queued or running at that moment that really started first (ended
        // after it). A job sent later can still change the order (a new session goes first): such snapshots are
        // counted apart, since no count could foresee that.
        int snapshots = 0, exact = 0, undisturbed = 0, undisturbedExact = 0;
        foreach (var job in jobs)
            foreach (var poll in job.Polls.Where(p => p.Status == "queued" && p.JobsAhead is not null))
            {
                var first = jobs.Where(other => other != job && other.StartedAt < job.StartedAt!.Value.AddMilliseconds(-1)).ToList();
                int real = first.Count(other => other.PostedAt <= poll.At && other.EndedAt > poll.At);
                bool disturbed = first.Any(other => other.PostedAt > poll.At);
                snapshots++;
                if (real == poll.JobsAhead) exact++;
                if (disturbed) continue;
                undisturbed++;
                if (real == poll.JobsAhead) undisturbedExact++;
            }
        Console.WriteLine($"jobs ahead: {snapshots} snapshots of waiting jobs, exact {exact * 100.0 / Math.Max(1, snapshots):F1} %; "
            + $"{undisturbed} with no later job overtaking, exact {undisturbedExact * 100.0 / Math.Max(1, undisturbed):F1} %");

        // 3. The wait counts down: each poll of a waiting job against the first poll at least a second later.
        int pairs = 0, moving = 0;
        foreach (var job in jobs)
        {
            var waits = job.Polls.Where(p => p.Status == "queued" && p.SecondsUntilStart is not null).ToList();
            for (int i = 0; i < waits.Count; i++)
                if (waits.Skip(i + 1).FirstOrDefault(later => (later.At - waits[i].At).TotalSeconds >= 1) is { } later)
                {
                    pairs++;
                    if (later.SecondsUntilStart < waits[i].SecondsUntilStart) moving++;
                }
        }
        Console.WriteLine($"countdown: {pairs} pairs of polls of a waiting job 1 s apart; the wait went down in {moving * 100.0 / Math.Max(1, pairs):F0} %");

        // And the wait itself, told on the first poll, against the real wait.
        var waitErrors = jobs.Select(j => (First: j.Polls.FirstOrDefault(p => p.Status == "queued" && p.SecondsUntilStart is not null), Job: j))
            .Where(x => x.First is not null && (x.Job.StartedAt!.Value - x.First.At).TotalSeconds > 1)
            .Select(x => Math.Abs(x.First!.SecondsUntilStart!.Value - (x.Job.StartedAt!.Value - x.First.At).TotalSeconds) / (x.Job.StartedAt!.Value - x.First.At).TotalSeconds)
            .Order().ToList();
        Console.WriteLine($"wait on the first poll (waits over 1 s, {waitErrors.Count} jobs): within 25 % for {waitErrors.Count(e => e <= 0.25) * 100.0 / Math.Max(1, waitErrors.Count):F0} %, median error {Percentile(waitErrors, 0.5) * 100:F0} %");
    }

    static double Percentile(List<double> sorted, double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
}
