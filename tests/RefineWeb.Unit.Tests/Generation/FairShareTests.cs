using RefineWeb.Engine.Imaging;
using RefineWeb.Generation;
using RefineWeb.Generation.Queueing;
using Microsoft.Extensions.Options;

namespace RefineWeb.Tests.Generation;

public sealed class FairShareTests
{
    static readonly Guid A = Guid.Parse("aaaaaaaa-0000-0000-0000-000000000000");
    static readonly Guid B = Guid.Parse("bbbbbbbb-0000-0000-0000-000000000000");
    static readonly Guid C = Guid.Parse("cccccccc-0000-0000-0000-000000000000");

    static List<string> Order(IReadOnlyList<(Guid Owner, string Name)> waiting, Dictionary<Guid, long>? served = null) =>
        [.. FairShare.Order(waiting, j => j.Owner, served ?? []).Select(j => j.Name)];

    [Fact]
    public void Sessions_take_turns_each_in_the_order_it_sent()
    {
        (Guid, string)[] waiting = [(A, "a1"), (A, "a2"), (A, "a3"), (B, "b1"), (C, "c1"), (B, "b2")];
        Assert.Equal(["a1", "b1", "c1", "a2", "b2", "a3"], Order(waiting));
    }

    [Fact]
    public void The_session_served_longest_ago_goes_first_and_one_never_served_before_all()
    {
        (Guid, string)[] waiting = [(A, "a1"), (A, "a2"), (B, "b1"), (C, "c1")];
        // A was just served, C before it; B never.
        Assert.Equal(["b1", "c1", "a1", "a2"], Order(waiting, new() { [A] = 7, [C] = 3 }));
    }

    [Fact]
    public void A_batch_joins_compatible_jobs_across_sessions_in_serving_order_up_to_the_image_limit()
    {
        var jobs = new[] { Job(A, "x", 2), Job(A, "x", 1), Job(B, "x", 1), Job(B, "x", 2, steps: [5]), Job(C, "x", 1) };
        var batch = BatchPolicy.Next(jobs, new Dictionary<Guid, long>(), maxImages: 4);
        // Serving order a(2) b(1) c(1) a(1) b(steps 5): the first three fill the 4 images; b's other settings could not join anyway.
        Assert.Equal([jobs[0], jobs[2], jobs[4]], batch);
    }

    [Fact]
    public void Refinements_and_upscales_run_alone()
    {
        var edit = new ImageEdit(EditKind.Upscale, "src", new RgbImage(1, 1, [0, 0, 0]), 1.0);
        var jobs = new[] { TestJobs.Of(A, new GenerationInput { Prompt = "x" }, [1], edit), Job(B, "x", 1) };
        Assert.Equal([jobs[0]], BatchPolicy.Next(jobs, new Dictionary<Guid, long>(), 4));
        Assert.Equal([jobs[1]], BatchPolicy.Next([jobs[1], jobs[0]], new Dictionary<Guid, long>(), 4));
    }

    [Fact]
    public void Emphasized_and_plain_prompts_do_not_share_a_pass()
    {
        var jobs = new[] { Job(A, "red heart", 1), Job(B, "(red:1.4) heart", 1), Job(C, "blue heart", 1) };
        Assert.Equal([jobs[0], jobs[2]], BatchPolicy.Next(jobs, new Dictionary<Guid, long>(), 4));
    }

    [Fact]
    public void The_in_memory_queue_serves_a_second_session_before_the_first_ones_backlog_and_says_so_in_positions()
    {
        var queue = new GenerationQueue(Options.Create(new GenerationOptions { MaxQueuedPerSession = 3 }));
        var a = Enumerable.Range(0, 4).Select(i => Job(A, "x", 1, steps: [i + 1])).ToList(); // settings differ: one job per batch
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(a[0]));
        Assert.Equal([a[0]], queue.TryTake(4)); // A is being served
        foreach (var job in a.Skip(1)) Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(job));
        Assert.Equal(EnqueueResult.SessionFull, queue.TryEnqueue(Job(A, "x", 1)));
        var b = Job(B, "x", 1, steps: [9]);
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(b));

        Assert.Equal(0, b.Latest.QueuePosition); // B goes before A's backlog...
        Assert.Equal([1, 2, 3], a.Skip(1).Select(j => j.Latest.QueuePosition)); // ...and everyone of A heard that they moved back
        Assert.Equal([b], queue.TryTake(4));
        Assert.Equal([0, 1, 2], a.Skip(1).Select(j => j.Latest.QueuePosition));
        Assert.Equal([a[1]], queue.TryTake(4));
    }

    static GenerationJob Job(Guid owner, string prompt, int images, int[]? steps = null) =>
        TestJobs.Of(owner, new GenerationInput { Prompt = prompt, Steps = steps, Count = images }, [.. Enumerable.Range(1, images).Select(i => (long)i)]);
}
