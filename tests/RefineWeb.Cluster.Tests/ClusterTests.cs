using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using RefineWeb.Generation;

namespace RefineWeb.Cluster.Tests;

/// <summary>Two web nodes and two workers over Redis and PostgreSQL, real processes, real kills.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTests(TestCluster cluster)
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    string Web1 => cluster.WebUrls[0];
    string Web2 => cluster.WebUrls[1];

    static string Status(JsonElement status) => status.GetProperty("status").GetString()!;

    [Fact]
    public async Task A_job_posted_on_one_web_node_is_followed_to_the_end_on_the_other_by_REST_and_hub()
    {
        using var session = new SessionClient();
        var id = await session.PostAsync(Web1, new { prompt = "red heart", seed = 21, stages = 3 });

        await using var hub = await session.ConnectAsync(Web2);
        var events = new List<GenerationEvent>();
        using (var timeout = new CancellationTokenSource(Patience))
            await foreach (var update in hub.StreamAsync<GenerationEvent>("Watch", id, timeout.Token)) events.Add(update);
        var final = events[^1];
        Assert.True(final.Status == GenerationStatus.Succeeded, $"{final.Status}: {final.Error}\n{cluster.Logs()}");
        var steps = events.Where(e => e.Step is not null).Select(e => (e.StageIndex!.Value, e.Step!.Value)).ToList();
        Assert.NotEmpty(steps);
        Assert.Equal(steps.OrderBy(s => s.Item1).ThenBy(s => s.Item2), steps); // in order, stage by stage
        Assert.Contains(events, e => e.Previews is { Count: > 0 }); // the worker's previews reach the other node
        Assert.StartsWith("worker-", final.Worker);

        var status = await session.StatusAsync(Web2, id);
        Assert.Equal("succeeded", Status(status));
        var png = await session.ImageAsync(Web2, status.GetProperty("images")[0].GetString()!);
        Assert.Equal(png, await session.ImageAsync(Web1, status.GetProperty("images")[0].GetString()!));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);

        // And the other way round: posted over the hub on node 2, polled over REST on node 1.
        var posted = hub.StreamAsync<GenerationEvent>("Generate", new GenerationInput { Prompt = "blue heart", Seed = 22, Stages = 2 });
        await using var enumerator = posted.GetAsyncEnumerator();
        Assert.True(await enumerator.MoveNextAsync());
        var followed = await session.FollowAsync(Web1, enumerator.Current.JobId, Patience, cluster.Logs);
        Assert.Equal("succeeded", Status(followed[^1]));
    }

    [Fact]
    public async Task A_worker_killed_mid_job_hands_it_to_another_which_makes_the_same_bytes()
    {
        using var session = new SessionClient();
        object Request() => new { prompt = "cat face", seed = 31, stages = 3, steps = new[] { 60, 30, 30 } };
        var undisturbed = await session.FollowAsync(Web1, await session.PostAsync(Web1, Request()), Patience, cluster.Logs);
        Assert.Equal("succeeded", Status(undisturbed[^1]));
        var reference = await session.ImageAsync(Web1, undisturbed[^1].GetProperty("images")[0].GetString()!);

        var id = await session.PostAsync(Web1, Request());
        JsonElement running;
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            running = await session.StatusAsync(Web2, id);
            if (Status(running) == "running" && running.GetProperty("step").ValueKind == JsonValueKind.Number && running.GetProperty("step").GetInt32() >= 3) break;
            Assert.True(DateTime.UtcNow < deadline && Status(running) is "queued" or "running", $"never seen running: {running}");
            await Task.Delay(20);
        }
        var victimName = running.GetProperty("worker").GetString()!;
        var victim = cluster.Workers.Single(w => w.Name == victimName);
        victim.Kill(); // SIGKILL, in the middle of the job
        var statuses = await session.FollowAsync(Web2, id, Patience, cluster.Logs); // asserts no 404 on the way
        victim.Restart();

        var final = statuses[^1];
        Assert.Equal("succeeded", Status(final));
        Assert.NotEqual(victimName, final.GetProperty("worker").GetString());
        Assert.Equal(2, final.GetProperty("attempt").GetInt32());
        Assert.Contains(statuses, s => Status(s) == "running" && s.GetProperty("attempt").GetInt32() == 2); // the client saw the retry
        Assert.Equal(reference, await session.ImageAsync(Web2, final.GetProperty("images")[0].GetString()!));
        await TestCluster.WaitForWorkerAsync(victim);
    }

    [Fact]
    public async Task A_worker_stopped_mid_job_hands_it_back_at_once_and_another_finishes_it()
    {
        using var session = new SessionClient();
        var id = await session.PostAsync(Web1, new { prompt = "sun face", seed = 71, stages = 3, steps = new[] { 80, 40, 40 } });
        JsonElement running;
        var deadline = DateTime.UtcNow + Patience;
        do
        {
            running = await session.StatusAsync(Web1, id);
            Assert.True(DateTime.UtcNow < deadline && Status(running) is "queued" or "running", $"never seen running: {running}");
            await Task.Delay(20);
        } while (Status(running) != "running" || running.GetProperty("step").ValueKind != JsonValueKind.Number);
        var stopping = cluster.Workers.Single(w => w.Name == running.GetProperty("worker").GetString());

        stopping.Terminate(); // SIGTERM, as a deploy would
        var statuses = await session.FollowAsync(Web2, id, Patience, cluster.Logs);
        stopping.Restart();
        Assert.Equal("succeeded", Status(statuses[^1]));
        Assert.NotEqual(stopping.Name, statuses[^1].GetProperty("worker").GetString());
        Assert.DoesNotContain(statuses, s => Status(s) == "cancelled"); // handed back, not ended
        Assert.Contains("handed 1 unfinished jobs back", stopping.LogTail(400));
        await TestCluster.WaitForWorkerAsync(stopping);
    }

    [Fact]
    public async Task A_web_node_stopped_gracefully_under_a_streamed_job_tells_the_client_where_to_follow_it_and_the_job_runs_on()
    {
        using var session = new SessionClient();
        var hub = await session.ConnectAsync(Web1);
        var stream = hub.StreamAsync<GenerationEvent>("Generate",
            new GenerationInput { Prompt = "rainbow", Seed = 81, Stages = 3, Steps = [80, 40, 40] }).GetAsyncEnumerator();
        try
        {
            string? id = null;
            using (var timeout = new CancellationTokenSource(Patience))
                while (await stream.MoveNextAsync().AsTask().WaitAsync(timeout.Token))
                {
                    id = stream.Current.JobId;
                    if (stream.Current is { Status: GenerationStatus.Running, Step: not null }) break;
                }
            Assert.NotNull(id);

            cluster.Webs[0].Terminate(); // SIGTERM, as a deploy or a scale-in would
            var ended = await Record.ExceptionAsync(async () =>
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                while (await stream.MoveNextAsync().AsTask().WaitAsync(timeout.Token)) Assert.NotEqual(GenerationStatus.Cancelled, stream.Current.Status);
            });
            // The node says where to follow the job when its last message gets out before SignalR drops the
            // connection (it closes them all as the node stops); either way the client knows the job's id from the first event.
            Assert.NotNull(ended);
            if (ended is HubException) Assert.Contains(GenerationHub.NodeStopping(id), ended.Message);

            var statuses = await session.FollowAsync(Web2, id, Patience, cluster.Logs);
            Assert.Equal("succeeded", Status(statuses[^1]));
            Assert.DoesNotContain(statuses, s => Status(s) == "cancelled");
        }
        finally
        {
            await hub.DisposeAsync();
            cluster.Webs[0].Restart();
            await cluster.WaitForWebAsync(0);
        }
    }

    [Fact]
    public async Task A_job_that_kills_every_worker_fails_with_the_reason_after_the_retry_limit_and_the_others_run()
    {
        using var session = new SessionClient();
        var poison = await session.PostAsync(Web1, new { prompt = TestCluster.PoisonPrompt, seed = 41, stages = 1 });
        var healthy = new List<string>();
        for (int i = 0; i < 3; i++) healthy.Add(await session.PostAsync(Web2, new { prompt = "green apple", seed = 50 + i, stages = 2, steps = new[] { 10 + i, 5 } }));

        var poisonEnd = (await session.FollowAsync(Web2, poison, TimeSpan.FromSeconds(180), cluster.Logs))[^1];
        Assert.Equal("failed", Status(poisonEnd));
        Assert.Matches(@"^Failed on 3 workers \(worker-\d, worker-\d, worker-\d\): each stopped while running it", poisonEnd.GetProperty("error").GetString());
        foreach (var id in healthy) Assert.Equal("succeeded", Status((await session.FollowAsync(Web1, id, Patience, cluster.Logs))[^1]));
        foreach (var worker in cluster.Workers) await TestCluster.WaitForWorkerAsync(worker);
    }

    [Fact]
    public async Task With_Redis_down_a_submission_gets_a_503_problem_and_nothing_is_kept_then_it_works_again()
    {
        using var session = new SessionClient();
        var before = await session.PostAsync(Web1, new { prompt = "star", seed = 90, stages = 1 });
        Assert.Equal("succeeded", Status((await session.FollowAsync(Web1, before, Patience, cluster.Logs))[^1]));

        cluster.Redis.StopServer();
        try
        {
            using var refused = await session.SendAsync(HttpMethod.Post, Web2 + "/api/v1/generations", new { prompt = "star", seed = 91, stages = 1 });
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("The job queue is unreachable right now", problem.GetProperty("title").GetString());
            Assert.NotNull(refused.Headers.RetryAfter);
            using var status = await session.SendAsync(HttpMethod.Get, $"{Web1}/api/v1/generations/{before}");
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, status.StatusCode); // not a 404: the job is not lost, only out of reach
            Assert.Equal("The job queue is unreachable right now", (await status.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
            Assert.Equal(TimeSpan.FromSeconds(5), status.Headers.RetryAfter?.Delta);

            // The hub says the same, whether the connection or the call meets the outage.
            var hubError = await Record.ExceptionAsync(async () =>
            {
                await using var hub = await session.ConnectAsync(Web2);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await foreach (var _ in hub.StreamAsync<GenerationEvent>("Watch", before, timeout.Token)) { }
            });
            Assert.Contains("The job queue is unreachable right now", hubError?.Message);
        }
        finally
        {
            await cluster.Redis.StartServerAsync();
        }
        var rows = (await cluster.ImageRowsAsync()).Count;
        var after = await session.PostAsync(Web2, new { prompt = "star", seed = 92, stages = 1 });
        Assert.Equal("succeeded", Status((await session.FollowAsync(Web1, after, Patience, cluster.Logs))[^1]));
        Assert.Equal(rows + 1, (await cluster.ImageRowsAsync()).Count); // the refused one left nothing behind
        Assert.Equal("succeeded", Status(await session.StatusAsync(Web2, before)));
    }

    [Fact]
    public async Task Workers_outlive_a_Redis_outage_under_load_and_every_accepted_job_succeeds_once()
    {
        using var session = new SessionClient();
        var ids = new List<string>();
        for (int i = 0; i < 6; i++) ids.Add(await session.PostAsync(Web1, new { prompt = "purple heart", seed = 120 + i, stages = 2, steps = new[] { 40, 20 } })); // a prompt no other test here uses: rows are counted by it
        var deadline = DateTime.UtcNow + Patience;
        while (Status(await session.StatusAsync(Web2, ids[0])) != "running")
        {
            Assert.True(DateTime.UtcNow < deadline, $"the first job never started\n{cluster.Logs()}");
            await Task.Delay(100);
        }
        var workers = cluster.Workers.Select(w => w.Pid).ToList();

        cluster.Redis.StopServer(); // mid-batch: the batch ends, its events and the next take meet an unreachable Redis
        await Task.Delay(TimeSpan.FromSeconds(12));
        await cluster.Redis.StartServerAsync();

        var images = new List<string>();
        foreach (var id in ids)
        {
            var final = (await session.FollowAsync(Web1, id, Patience * 2, cluster.Logs))[^1];
            Assert.True(Status(final) == "succeeded", $"{id}: {final}\n{cluster.Logs()}");
            images.AddRange(final.GetProperty("images").EnumerateArray().Select(u => u.GetString()!.Split('/')[^1].Replace(".png", "")));
        }
        Assert.Equal(workers, cluster.Workers.Select(w => w.Pid)); // neither worker died (the watchdog would have restarted it)
        Assert.All(cluster.Workers, w => Assert.False(w.HasExited, w.LogTail()));
        var rows = (await cluster.ImageRowsAsync()).Where(r => r.Prompt == "purple heart").Select(r => r.Id).ToList();
        Assert.Equal(images.Order(), rows.Order()); // one row per image: none twice, none missing
    }

    [Fact]
    public async Task Jobs_waiting_while_every_process_restarts_all_run_once_with_one_row_per_image()
    {
        using var session = new SessionClient();
        foreach (var worker in cluster.Workers) worker.Kill();
        var ids = new List<string>();
        for (int i = 0; i < 3; i++) ids.Add(await session.PostAsync(Web1, new { prompt = "orange flower", seed = 60 + i, stages = 2 }));
        foreach (var id in ids) Assert.Equal("queued", Status(await session.StatusAsync(Web2, id)));

        foreach (var web in cluster.Webs) web.Kill();
        await cluster.Redis.RestartAsync(); // its append-only file brings the queue back
        foreach (var web in cluster.Webs) web.Restart();
        await cluster.WaitForWebAsync(0);
        await cluster.WaitForWebAsync(1);
        foreach (var id in ids) Assert.Equal("queued", Status(await session.StatusAsync(Web2, id))); // still there, none lost
        foreach (var worker in cluster.Workers) worker.Restart();

        var images = new List<string>();
        foreach (var id in ids)
        {
            var final = (await session.FollowAsync(Web1, id, Patience, cluster.Logs))[^1];
            Assert.Equal("succeeded", Status(final));
            images.AddRange(final.GetProperty("images").EnumerateArray().Select(u => u.GetString()!.Split('/')[^1].Replace(".png", "")));
        }
        var rows = (await cluster.ImageRowsAsync()).Where(r => r.Prompt == "orange flower").Select(r => r.Id).ToList();
        Assert.Equal(images.Order(), rows.Order()); // one row per image: none twice, none missing
    }
}
