using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using RefineWeb.Generation;
using static RefineWeb.Tests.Security.HostileRequests;

namespace RefineWeb.Tests.Security;

/// <summary>Finding 5: the creation limit holds for cookieless clients and the hub, and one session cannot take the whole queue.</summary>
public sealed class LimitTests
{
    [Fact]
    public async Task Cookieless_requests_share_one_bucket_per_address_instead_of_a_fresh_one_each()
    {
        await using var app = await TinyModelApp.StartAsync(new Dictionary<string, string> { ["Gallery:CreationsPerMinute"] = "5" });
        // No cookie handling: every request is a new session.
        using var cookieless = app.Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { HandleCookies = false, BaseAddress = new Uri("https://localhost") });
        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 20; i++)
        {
            using var response = await cookieless.PostAsJsonAsync("/api/v1/shares", new { });
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await AssertProblemAsync(response, HttpStatusCode.TooManyRequests);
                Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            }
        }
        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(15, statuses.Count(s => s == HttpStatusCode.TooManyRequests));

        // A browser that keeps its session (the cookie from its first page or request) has its own allowance.
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/api/v1/gallery")).StatusCode);
        using var kept = await app.Client.PostAsJsonAsync("/api/v1/shares", new { });
        Assert.Equal(HttpStatusCode.Created, kept.StatusCode);
    }

    [Fact]
    public async Task Minting_sessions_does_not_multiply_the_limit_of_one_address()
    {
        await using var app = await TinyModelApp.StartAsync(new Dictionary<string, string>
        {
            ["Gallery:CreationsPerMinute"] = "3", ["Gallery:CreationsPerMinutePerAddress"] = "6",
        });
        int created = 0;
        for (int session = 0; session < 4; session++)
        {
            var (client, _) = app.Factory.CreateSession();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/gallery")).StatusCode); // the cookie first
            for (int i = 0; i < 3; i++)
                if ((await client.PostAsJsonAsync("/api/v1/shares", new { })).StatusCode == HttpStatusCode.Created) created++;
        }
        Assert.Equal(6, created);
    }

    [Fact]
    public async Task Hub_generate_calls_are_limited_like_the_api()
    {
        await using var app = await TinyModelApp.StartAsync(new Dictionary<string, string> { ["Gallery:CreationsPerMinute"] = "4" });
        await using var hub = await app.ConnectAsync();
        int accepted = 0;
        var refusals = new List<string>();
        for (int i = 0; i < 10; i++)
        {
            try
            {
                await foreach (var update in hub.StreamAsync<GenerationEvent>("Generate", new GenerationInput { Prompt = "red heart", Seed = i }))
                    if (update.IsFinal) accepted++;
            }
            catch (HubException e)
            {
                refusals.Add(e.Message);
            }
        }
        Assert.Equal(4, accepted);
        Assert.Equal(6, refusals.Count);
        Assert.All(refusals, message => Assert.Contains("Too many requests", message));
    }

    [Fact]
    public async Task A_session_with_a_backlog_does_not_hold_up_another_and_the_next_job_past_its_share_gets_429()
    {
        await using var app = await TinyModelApp.StartAsync(new Dictionary<string, string> { ["Generation:MaxQueuedPerSession"] = "10" });
        var running = await app.PostAsync(new { prompt = "red heart", count = 4, seed = 1, steps = new[] { 100, 100, 100 } });
        await app.WaitForAsync(running, "running");
        // Session A (the one being served) queues its whole share; each job has its own steps, so none can share a pass.
        var backlog = new List<string>();
        for (int i = 0; i < 10; i++) backlog.Add(await app.PostAsync(new { prompt = "blue heart", seed = i, steps = new[] { 2 + i, 2, 2 } }));
        using (var past = await app.Client.PostAsJsonAsync("/api/v1/generations", new { prompt = "blue heart" }))
        {
            var problem = await AssertProblemAsync(past, HttpStatusCode.TooManyRequests);
            Assert.Contains("10 generations waiting", problem.GetProperty("detail").GetString());
            Assert.True(past.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        }
        var (b, _) = app.Factory.CreateSession();
        using var posted = await b.PostAsJsonAsync("/api/v1/generations", new { prompt = "green apple", seed = 5, steps = new[] { 100, 100, 100 } });
        var queued = await posted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, queued.GetProperty("queuePosition").GetInt32()); // next, ahead of A's ten
        string bId = queued.GetProperty("id").GetString()!;
        Assert.Equal(1, (await app.StatusAsync(backlog[0])).GetProperty("queuePosition").GetInt32());

        await app.Client.DeleteAsync($"/api/v1/generations/{running}");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await (await b.GetAsync($"/api/v1/generations/{bId}")).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString() == "queued")
        {
            Assert.True(DateTime.UtcNow < deadline, "B's job never started");
            await Task.Delay(20);
        }
        // B's job started (or already ended); the engine runs one batch at a time, so none of A's may have started before it.
        Assert.All(await Task.WhenAll(backlog.Take(3).Select(app.StatusAsync)), s => Assert.Equal("queued", s.GetProperty("status").GetString()));
        foreach (var id in backlog) await app.Client.DeleteAsync($"/api/v1/generations/{id}");
    }

    [Fact]
    public async Task One_session_may_hold_only_its_share_of_waiting_jobs()
    {
        await using var app = await TinyModelApp.StartAsync(new Dictionary<string, string> { ["Generation:MaxQueuedPerSession"] = "2" });
        // Slow jobs of four images each: one runs, the next ones wait (a batch holds four images).
        object Slow(int seed) => new { prompt = "red heart", count = 4, seed, steps = new[] { 100, 100, 100 } };
        var ids = new List<string> { await app.PostAsync(Slow(1)) };
        await app.WaitForAsync(ids[0], "running");
        ids.Add(await app.PostAsync(Slow(10)));
        ids.Add(await app.PostAsync(Slow(20)));
        using (var third = await app.Client.PostAsJsonAsync("/api/v1/generations", Slow(30)))
        {
            var problem = await AssertProblemAsync(third, HttpStatusCode.TooManyRequests);
            Assert.Contains("2 generations waiting", problem.GetProperty("detail").GetString());
            Assert.NotNull(third.Headers.RetryAfter);
        }
        var (other, _) = app.Factory.CreateSession();
        using (var fair = await other.PostAsJsonAsync("/api/v1/generations", Slow(40)))
        {
            Assert.Equal(HttpStatusCode.Accepted, fair.StatusCode);
            ids.Add((await fair.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        }
        foreach (var id in ids.Take(3)) await app.Client.DeleteAsync($"/api/v1/generations/{id}");
        await other.DeleteAsync($"/api/v1/generations/{ids[3]}");
        foreach (var id in ids.Take(3)) await app.WaitForAsync(id);
    }
}
