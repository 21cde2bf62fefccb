using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RefineWeb.Engine.Imaging;
using RefineWeb.Gallery;
using RefineWeb.Generation;
using RefineWeb.Health;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Tests.Security;

/// <summary>Finding 8: nothing grows with traffic, one failure does not stop the rest, and shutdown does not wait for a batch.</summary>
public sealed class ResourceTests
{
    static RgbImage Frame(byte value) => new(2, 2, Enumerable.Repeat(value, 12).ToArray());

    /// <summary>Every event of the job until its final one (listening starts now, before anything is posted).</summary>
    static async Task<List<GenerationEvent>> DrainAsync(GenerationJob job)
    {
        var received = new List<GenerationEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var update in job.Events(timeout.Token)) received.Add(update);
        return received;
    }

    [Fact]
    public async Task The_publisher_survives_a_failing_preview_and_later_jobs_still_finish()
    {
        await using var gallery = await TestGallery.CreateAsync();
        var queue = new GenerationQueue(Options.Create(new GenerationOptions()));
        using var publisher = new EventPublisher(gallery.Images, new GenerationMetrics(new TestMeters(), queue), NullLogger<EventPublisher>.Instance);
        publisher.EncodePreview = frame => frame.Pixels[0] == 13 ? throw new InvalidOperationException("encoder bug") : frame.ToPng();

        var broken = TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "red heart" }, [1]);
        var brokenEvents = DrainAsync(broken);
        publisher.PostPreview(broken, new GenerationEvent { JobId = broken.Id, Status = GenerationStatus.Running, Step = 1, TotalSteps = 2 }, [Frame(13)]);

        var healthy = TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "red heart" }, [2]);
        var healthyEvents = DrainAsync(healthy);
        publisher.PostPreview(healthy, new GenerationEvent { JobId = healthy.Id, Status = GenerationStatus.Running, Step = 1, TotalSteps = 1 }, [Frame(5)]);
        publisher.PostFinished(healthy, new GenerationEvent { JobId = healthy.Id, Status = GenerationStatus.Succeeded, Progress = 1 }, [Frame(5)], new ImageLineage(ImageOrigin.Generated));

        var failed = (await brokenEvents)[^1];
        Assert.Equal(GenerationStatus.Failed, failed.Status);
        Assert.DoesNotContain("encoder bug", failed.Error);
        var done = await healthyEvents;
        Assert.Equal(GenerationStatus.Succeeded, done[^1].Status);
        Assert.Single(done[^1].ImageIds!);
    }

    [Fact]
    public async Task Frames_waiting_for_a_busy_encoder_are_bounded_by_one_per_job_and_stage()
    {
        await using var gallery = await TestGallery.CreateAsync();
        var queue = new GenerationQueue(Options.Create(new GenerationOptions()));
        using var publisher = new EventPublisher(gallery.Images, new GenerationMetrics(new TestMeters(), queue), NullLogger<EventPublisher>.Instance);
        using var release = new ManualResetEventSlim();
        publisher.EncodePreview = frame => { release.Wait(TimeSpan.FromSeconds(30)); return frame.ToPng(); };
        var job = TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "red heart" }, [1, 2]);
        var events = DrainAsync(job);
        for (int step = 1; step <= 500; step++)
            publisher.PostPreview(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Running, StageIndex = 0, Step = step, TotalSteps = 500 }, [Frame(1), Frame(2)]);
        Assert.True(publisher.PendingPreviewFrames <= 2 * 2, $"{publisher.PendingPreviewFrames} frames held"); // the one being encoded and the newest
        release.Set();
        publisher.Post(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Cancelled });
        Assert.Equal(GenerationStatus.Cancelled, (await events)[^1].Status);
        Assert.Equal(0, publisher.PendingPreviewFrames);
    }

    [Fact]
    public async Task Watch_called_and_cancelled_100_times_leaves_no_listener_behind()
    {
        await using var app = await TinyModelApp.StartAsync();
        var id = await app.PostAsync(new { prompt = "red heart", count = 4, steps = new[] { 100, 100, 100 } });
        var job = app.Service<GenerationQueue>().Find(id)!;
        await using var hub = await app.ConnectAsync();
        for (int i = 0; i < 100; i++)
        {
            using var stop = new CancellationTokenSource();
            var stream = hub.StreamAsync<GenerationEvent>("Watch", id, stop.Token).GetAsyncEnumerator(stop.Token);
            Assert.True(await stream.MoveNextAsync());
            stop.Cancel();
            try { while (await stream.MoveNextAsync()) { } } catch (OperationCanceledException) { }
        }
        await Eventually(() => job.ListenerCount == 0, "listeners stayed after their readers left");

        // Nobody can pile up more than a job's share of watchers either.
        var streams = new List<CancellationTokenSource>();
        for (int i = 0; i < GenerationJob.MaxListeners; i++)
        {
            var stop = new CancellationTokenSource();
            streams.Add(stop);
            var e = hub.StreamAsync<GenerationEvent>("Watch", id, stop.Token).GetAsyncEnumerator(stop.Token);
            Assert.True(await e.MoveNextAsync());
        }
        var refused = await Assert.ThrowsAnyAsync<Microsoft.AspNetCore.SignalR.HubException>(async () =>
        {
            await foreach (var _ in hub.StreamAsync<GenerationEvent>("Watch", id)) { }
        });
        Assert.Contains("watchers", refused.Message);
        foreach (var stop in streams) stop.Cancel();
        await app.Client.DeleteAsync($"/api/v1/generations/{id}");
        await app.WaitForAsync(id);
    }

    [Fact]
    public void The_queue_forgets_old_finished_jobs_in_arrival_order_and_lets_go_of_their_pictures()
    {
        var queue = new GenerationQueue(Options.Create(new GenerationOptions { QueueCapacity = 10_000, MaxQueuedPerSession = 10_000 }));
        var plan = new ImageEdit(EditKind.Upscale, "x", Frame(1), 1.0);
        var first = TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "a" }, [1], plan);
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(first));
        var jobs = new List<GenerationJob> { first };
        for (int i = 1; i <= GenerationQueue.KeepFinished; i++)
        {
            var job = TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "a" }, [i]);
            jobs.Add(job);
            queue.TryEnqueue(job);
        }
        while (queue.TryTake(int.MaxValue).Count > 0) { } // the engine took them all
        foreach (var job in jobs) job.Publish(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Succeeded });
        Assert.Null(first.Request.Edit); // the finished job no longer holds its source picture
        first.Cancel(); // a no-op on a finished job, not an ObjectDisposedException

        queue.TryEnqueue(TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "a" }, [0]));
        // 1002 arrivals, 1000 kept: the two oldest went, the next one stays.
        Assert.Null(queue.Find(first.Id));
        Assert.Null(queue.Find(jobs[1].Id));
        Assert.NotNull(queue.Find(jobs[2].Id));
        Assert.Equal(GenerationQueue.KeepFinished, queue.Known);
    }

    [Fact]
    public async Task Stopping_the_host_stops_a_running_batch_instead_of_waiting_for_it()
    {
        var app = await TinyModelApp.StartAsync();
        var job = app.Service<GenerationQueue>().Find(await app.PostAsync(new { prompt = "red heart", count = 4, steps = new[] { 100, 100, 100 } }))!;
        await Eventually(() => job.Latest is { Status: GenerationStatus.Running, Step: >= 1 }, "the job never started");
        await app.DisposeAsync();
        Assert.Equal(GenerationStatus.Cancelled, job.Latest.Status);
        Assert.Contains("server stopped", job.Latest.Error);
    }

    [Fact]
    public async Task An_engine_failure_tells_the_client_it_failed_without_the_exception_text()
    {
        var logs = new LogCapture();
        await using var app = await TinyModelApp.StartAsync(configure: b => b.ConfigureLogging(l => l.AddProvider(logs)));
        int side = app.Service<ModelHost>().Resolutions[^1];
        // A refinement whose editable region does not match its picture: the pipeline throws deep inside libtorch.
        var broken = new ImageEdit(EditKind.RefineWhole, "none", new RgbImage(side, side, new byte[side * side * 3]), 0.5, [true], [true]);
        var job = TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "red heart" }, [1], broken);
        Assert.Equal(EnqueueResult.Queued, app.Service<GenerationQueue>().TryEnqueue(job));
        await Eventually(() => job.Latest.IsFinal, "the job never ended");
        Assert.Equal(GenerationStatus.Failed, job.Latest.Status);
        Assert.StartsWith("The engine failed on this request; it has been logged.", job.Latest.Error);
        // It failed twice before it was told: a job failing alone gets one more try (a one-off failure costs time, not the picture).
        var worker = logs.Entries.Where(e => e.StartsWith(typeof(GenerationWorker).FullName!) && e.Contains(job.Id)).ToList();
        Assert.Equal(2, worker.Count);
        Assert.Contains("Warning: Generation " + job.Id + " failed; running it once more", worker[0]);
        Assert.Contains("Error: Generation " + job.Id + " failed", worker[1]);

        // The engine goes on: the next job succeeds.
        var next = await app.PostAsync(new { prompt = "red heart" });
        Assert.Equal("succeeded", (await app.WaitForAsync(next)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Refused_hub_calls_in_a_loop_write_no_error_with_a_stack_trace_to_the_log()
    {
        var logs = new LogCapture();
        await using var app = await TinyModelApp.StartAsync(configure: b => b.ConfigureLogging(l =>
            l.AddProvider(logs).AddFilter(typeof(HubErrorLogging).FullName, LogLevel.Debug)));
        await using var hub = await app.ConnectAsync();
        for (int i = 0; i < 20; i++)
            foreach (var (method, argument) in new (string, object?)[] { ("Generate", null), ("Watch", "nope"), ("Generate", new { prompt = "x", seeed = 1 }) })
                await Assert.ThrowsAnyAsync<Microsoft.AspNetCore.SignalR.HubException>(async () =>
                {
                    await foreach (var _ in hub.StreamAsync<GenerationEvent>(method, argument)) { }
                });
        var errors = logs.Entries.Where(e => e.Contains(" Error: ") || e.Contains(" Critical: ")).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(3)));
        Assert.Contains(logs.Entries, e => e.Contains("Hub call Generate refused"));
    }

    [Fact]
    public async Task Health_checks_read_the_weight_files_again_only_when_they_change()
    {
        await using var app = await TinyModelApp.StartAsync();
        for (int i = 0; i < 5; i++) Assert.Equal(System.Net.HttpStatusCode.OK, (await app.Client.GetAsync("/healthz")).StatusCode);
        var check = app.Service<ModelFilesHealthCheck>();
        Assert.Equal(1, check.FileChecks);
        var manifest = Directory.EnumerateFiles(app.ModelDirectory, "*.json").First();
        File.SetLastWriteTimeUtc(manifest, DateTime.UtcNow.AddMinutes(1));
        Assert.Equal(System.Net.HttpStatusCode.OK, (await app.Client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(2, check.FileChecks);
    }

    static async Task Eventually(Func<bool> condition, string failure)
    {
        for (int i = 0; i < 600 && !condition(); i++) await Task.Delay(50);
        Assert.True(condition(), failure);
    }
}
