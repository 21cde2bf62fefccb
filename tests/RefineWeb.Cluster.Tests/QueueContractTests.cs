using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RefineWeb.Generation;
using RefineWeb.Generation.Queueing;
using RefineWeb.Generation.Queueing.Redis;
using StackExchange.Redis;

namespace RefineWeb.Cluster.Tests;

/// <summary>
/// What every queue does, whichever implementation: the in-memory one of a single process and the Redis one of a
/// cluster run the same tests. A queue here is its web side (<see cref="IGenerationQueue"/>) and its engine side
/// (<see cref="IJobSource"/>).
/// </summary>
public abstract class QueueContractTests : IAsyncLifetime
{
    protected static readonly Guid A = Guid.Parse("aaaaaaaa-0000-0000-0000-000000000000");
    protected static readonly Guid B = Guid.Parse("bbbbbbbb-0000-0000-0000-000000000000");

    protected static readonly GenerationOptions Limits = new() { QueueCapacity = 6, MaxQueuedPerSession = 4, MaxBatchImages = 4 };

    protected IGenerationQueue Queue = null!;
    protected IJobSource Source = null!;

    public abstract Task InitializeAsync();
    public abstract Task DisposeAsync();

    static GenerationJob Job(Guid owner, int steps) => TestJobs.Of(owner, new GenerationInput { Prompt = "red heart", Steps = [steps] }, [steps]);

    async Task<IReadOnlyList<GenerationJob>> TakeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await Source.TakeAsync(Limits.MaxBatchImages, timeout.Token) ?? throw new TimeoutException("nothing to take");
    }

    static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task A_queued_job_is_found_by_id_with_its_input_and_place()
    {
        var job = Job(A, 3);
        Assert.Equal(EnqueueResult.Queued, Queue.TryEnqueue(job));
        var found = Queue.Find(job.Id)!;
        Assert.Equal(job.Owner, found.Owner);
        Assert.Equal([3], found.Request.Settings.Steps!);
        Assert.Equal(0, found.Latest.QueuePosition);
        Assert.Equal(GenerationStatus.Queued, found.Latest.Status);
        Assert.Null(Queue.Find("0123456789abcdef0123456789abcdef"));
        Assert.Equal(1, Queue.Length);
    }

    [Fact]
    public async Task A_session_past_its_share_and_a_full_queue_are_refused_and_nothing_is_kept()
    {
        for (int i = 0; i < Limits.MaxQueuedPerSession; i++) Assert.Equal(EnqueueResult.Queued, Queue.TryEnqueue(Job(A, i + 1)));
        var refused = Job(A, 99);
        Assert.Equal(EnqueueResult.SessionFull, Queue.TryEnqueue(refused));
        Assert.Null(Queue.Find(refused.Id));
        Assert.Equal(EnqueueResult.Queued, Queue.TryEnqueue(Job(B, 1)));
        Assert.Equal(EnqueueResult.Queued, Queue.TryEnqueue(Job(B, 2)));
        Assert.Equal(EnqueueResult.QueueFull, Queue.TryEnqueue(Job(B, 3)));
        Assert.Equal(Limits.QueueCapacity, Queue.Length);
    }

    [Fact]
    public async Task Sessions_are_served_in_turns_and_each_waiting_job_hears_its_place()
    {
        var a = Enumerable.Range(1, 3).Select(i => Job(A, i)).ToList(); // different steps: one job per batch
        Assert.Equal(EnqueueResult.Queued, Queue.TryEnqueue(a[0]));
        Assert.Equal([a[0].Id], (await TakeAsync()).Select(j => j.Id)); // A is served
        Queue.TryEnqueue(a[1]);
        Queue.TryEnqueue(a[2]);
        var b = Job(B, 9);
        Queue.TryEnqueue(b);
        var bHere = Queue.Find(b.Id)!;
        var a2Here = Queue.Find(a[2].Id)!;
        await EventuallyAsync(() => bHere.Latest.QueuePosition == 0 && a2Here.Latest.QueuePosition == 2, "B was not put first");
        Assert.Equal([b.Id], (await TakeAsync()).Select(j => j.Id));
        Assert.Equal([a[1].Id], (await TakeAsync()).Select(j => j.Id));
        await EventuallyAsync(() => a2Here.Latest.QueuePosition == 0, "A's last job did not move up");
    }

    [Fact]
    public async Task Compatible_jobs_of_different_sessions_share_a_batch()
    {
        GenerationJob x = Job(A, 5), y = Job(B, 5), z = Job(B, 6);
        foreach (var job in new[] { x, y, z }) Queue.TryEnqueue(job);
        Assert.Equal([x.Id, y.Id], (await TakeAsync()).Select(j => j.Id));
        Assert.Equal([z.Id], (await TakeAsync()).Select(j => j.Id));
    }

    [Fact]
    public async Task A_job_cancelled_while_waiting_ends_cancelled_and_never_runs()
    {
        GenerationJob first = Job(A, 1), second = Job(B, 2);
        Queue.TryEnqueue(first);
        Queue.TryEnqueue(second);
        var firstHere = Queue.Find(first.Id)!;
        firstHere.Cancel();
        await EventuallyAsync(() => Queue.Find(first.Id)!.Latest.Status == GenerationStatus.Cancelled, "the cancelled job did not end");
        Assert.Equal([second.Id], (await TakeAsync()).Select(j => j.Id));
        Assert.Equal(0, Queue.Length);
        // Counted as withdrawn (no engine sees it, so only the queue can count it); cancelling the running one is not.
        await EventuallyAsync(() => Queue.Withdrawn == 1, "the withdrawn job was not counted");
        Queue.Find(second.Id)!.Cancel();
        await Task.Delay(200);
        Assert.Equal(1, Queue.Withdrawn);
    }

    [Fact]
    public async Task A_sessions_waiting_and_running_jobs_are_found_again_oldest_first_until_they_end()
    {
        GenerationJob first = Job(A, 1), second = Job(A, 2), theirs = Job(B, 3);
        foreach (var job in new[] { first, second, theirs }) Queue.TryEnqueue(job);
        Assert.Equal([first.Id, second.Id], Queue.Unfinished(A).Select(j => j.Id));
        Assert.Equal([theirs.Id], Queue.Unfinished(B).Select(j => j.Id));
        Assert.Empty(Queue.Unfinished(Guid.NewGuid()));

        var running = Assert.Single(await TakeAsync()); // A's first: running now, still unfinished
        Assert.Equal(first.Id, running.Id);
        Assert.Equal([first.Id, second.Id], Queue.Unfinished(A).Select(j => j.Id));
        running.Publish(new GenerationEvent { JobId = first.Id, Status = GenerationStatus.Succeeded, Progress = 1, ImageIds = ["img"] });
        await EventuallyAsync(() => Queue.Unfinished(A).Select(j => j.Id).SequenceEqual([second.Id]), "an ended job is still listed");
        Queue.Find(second.Id)!.Cancel();
        await EventuallyAsync(() => Queue.Unfinished(A).Count == 0, "a cancelled job is still listed");
    }

    [Fact]
    public async Task Events_the_engine_publishes_reach_the_web_sides_copy_in_order()
    {
        var job = Job(A, 1);
        Queue.TryEnqueue(job);
        var watcher = Queue.Find(job.Id)!.Listen(buffer: 100);
        var running = Assert.Single(await TakeAsync());
        for (int step = 1; step <= 5; step++) running.Publish(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Running, Step = step, TotalSteps = 5 });
        running.Publish(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Succeeded, Progress = 1, ImageIds = ["img"] });
        var seen = new List<GenerationEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var update in watcher.ReadAllAsync(timeout.Token)) seen.Add(update);
        Assert.Equal([1, 2, 3, 4, 5], seen.Where(e => e.Step is not null).Select(e => e.Step!.Value));
        Assert.Equal(GenerationStatus.Succeeded, seen[^1].Status);
        Assert.Equal(["img"], seen[^1].ImageIds);
        Assert.NotNull(seen[^1].Worker);
        Assert.Equal(GenerationStatus.Succeeded, Queue.Find(job.Id)!.Latest.Status); // found again later: still its outcome
    }

    [Fact]
    public async Task A_realignment_reaches_the_engine_with_its_picture_and_layout_and_its_account_comes_back()
    {
        var source = new Engine.Imaging.RgbImage(2, 2, [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]);
        var layout = new GenerationInput
        {
            Prompt = "heart",
            Regions = [new Engine.Requests.RegionInput { Prompt = "red heart", Rect = new Engine.Requests.RegionRect { X = 0, Y = 0, Width = 0.5, Height = 1 } }],
        };
        var job = TestJobs.Of(A, layout, [7], new Engine.Requests.ImageEdit(Engine.Requests.EditKind.Realign, "parent-id", source, 0.75));
        Queue.TryEnqueue(job);
        var watcher = Queue.Find(job.Id)!.Listen(buffer: 10);
        var taken = Assert.Single(await TakeAsync());
        var edit = taken.Request.Edit!;
        Assert.Equal((Engine.Requests.EditKind.Realign, "parent-id", 0.75), (edit.Kind, edit.SourceId, edit.Strength));
        Assert.Equal(source.Pixels, edit.Source.Pixels);
        Assert.Equal("red heart", Assert.Single(taken.Request.Settings.Regions!).Prompt);

        taken.Publish(new GenerationEvent
        {
            JobId = job.Id, Status = GenerationStatus.Succeeded, Progress = 1, ImageIds = ["img"],
            Realignment = [new Engine.Pipelines.Realign.PhraseRealignment("red heart", 0.31, 0.42, true, 3)],
        });
        var seen = new List<GenerationEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var update in watcher.ReadAllAsync(timeout.Token)) seen.Add(update);
        Assert.Equal(new Engine.Pipelines.Realign.PhraseRealignment("red heart", 0.31, 0.42, true, 3), Assert.Single(seen[^1].Realignment!));
    }
}

public sealed class InMemoryQueueContractTests : QueueContractTests
{
    public override Task InitializeAsync()
    {
        var queue = new GenerationQueue(Options.Create(Limits));
        (Queue, Source) = (queue, new StampingSource(queue));
        return Task.CompletedTask;
    }

    public override Task DisposeAsync() => Task.CompletedTask;

    /// <summary>The in-memory source as the engine uses it: it stamps the worker's name on the jobs it takes.</summary>
    sealed class StampingSource(GenerationQueue queue) : IJobSource
    {
        public int Length => queue.Length;

        public bool TryHandBack(IReadOnlyList<GenerationJob> unfinished) => queue.TryHandBack(unfinished);

        public async Task<IReadOnlyList<GenerationJob>?> TakeAsync(int maxImages, CancellationToken stopping)
        {
            var batch = await queue.TakeAsync(maxImages, stopping);
            foreach (var job in batch ?? []) job.RunningOn = ("here", 1);
            return batch;
        }
    }
}

public sealed class RedisQueueContractTests : QueueContractTests
{
    RedisServer server = null!;
    ConnectionMultiplexer redis = null!;
    RedisGenerationQueue web = null!;
    RedisJobSource worker = null!;

    public override async Task InitializeAsync()
    {
        server = await RedisServer.StartAsync();
        redis = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        var engine = Options.Create(new EngineOptions { Mode = EngineMode.Distributed });
        var store = new RedisJobStore(redis, engine, Options.Create(Limits));
        web = new RedisGenerationQueue(store, NullLogger<RedisGenerationQueue>.Instance);
        worker = new RedisJobSource(store, engine, Options.Create(new GenerationOptions { WorkerName = "contract" }), NullLogger<RedisJobSource>.Instance);
        (Queue, Source) = (web, worker);
    }

    public override async Task DisposeAsync()
    {
        web.Dispose();
        worker.Dispose();
        await redis.DisposeAsync();
        await server.DisposeAsync();
    }
}
