using Microsoft.Extensions.Options;
using RefineWeb.Generation;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Tests.Generation;

/// <summary>"N ahead of you" counts every job that runs first, those running now included, and the wait counts down with the running batch.</summary>
public sealed class QueuePositionTests
{
    static GenerationJob Job(Guid owner, int steps) => TestJobs.Of(owner, new GenerationInput { Prompt = "red heart", Steps = [steps] }, [1]);

    [Fact]
    public void Jobs_ahead_include_the_running_batch_and_the_wait_is_told_again_as_it_runs()
    {
        var options = Options.Create(new GenerationOptions { QueueCapacity = 10, MaxQueuedPerSession = 10, MaxBatchImages = 4 });
        var timing = new GenerationTiming();
        timing.UseStages([("base", 20, 16), ("refiner32", 2, 32), ("refiner64", 2, 64), ("refiner128", 2, 128), ("refiner256", 1, 256)]);
        foreach (var stage in new[] { "base", "refiner32", "refiner64", "refiner128", "refiner256" }) timing.RecordStep(stage, 100);
        var queue = new GenerationQueue(options, timing);
        Guid a = Guid.NewGuid(), b = Guid.NewGuid();

        var first = Job(a, 1);
        queue.TryEnqueue(first);
        Assert.Equal(0, first.Latest.JobsAhead);
        Assert.Equal([first], queue.TryTake(4)); // running now
        timing.RunningMillisecondsLeft = 5000;
        GenerationJob second = Job(b, 2), third = Job(b, 3); // different steps: one batch each
        queue.TryEnqueue(second);
        queue.TryEnqueue(third);
        Assert.Equal((0, 1), (second.Latest.QueuePosition, second.Latest.JobsAhead)); // next among the waiting, but one runs first
        Assert.Equal((1, 2), (third.Latest.QueuePosition, third.Latest.JobsAhead));
        Assert.Equal(5.0, second.Latest.SecondsUntilStart!.Value, 6);

        timing.RunningMillisecondsLeft = 2000; // the running batch moved on
        queue.Progressed();
        Assert.Equal(2.0, second.Latest.SecondsUntilStart!.Value, 6); // told again: the countdown moves

        first.Publish(new GenerationEvent { JobId = first.Id, Status = GenerationStatus.Succeeded, Progress = 1 });
        Assert.Equal([second], queue.TryTake(4));
        Assert.Equal((0, 1), (third.Latest.QueuePosition, third.Latest.JobsAhead)); // the finished one no longer counts

        // The engine falls idle: the last batch ended, so a newcomer has nobody ahead.
        second.Publish(new GenerationEvent { JobId = second.Id, Status = GenerationStatus.Succeeded, Progress = 1 });
        Assert.Equal([third], queue.TryTake(4));
        third.Publish(new GenerationEvent { JobId = third.Id, Status = GenerationStatus.Succeeded, Progress = 1 });
        var newcomer = Job(a, 4);
        queue.TryEnqueue(newcomer);
        Assert.Equal(0, newcomer.Latest.JobsAhead);
    }

    [Fact]
    public void A_compatible_job_that_will_join_an_earlier_batch_is_counted_where_it_runs()
    {
        var queue = new GenerationQueue(Options.Create(new GenerationOptions { QueueCapacity = 10, MaxQueuedPerSession = 10, MaxBatchImages = 4 }));
        GenerationJob head = Job(Guid.NewGuid(), 5), other = Job(Guid.NewGuid(), 9), joiner = Job(Guid.NewGuid(), 5);
        foreach (var job in new[] { head, other, joiner }) queue.TryEnqueue(job);
        // The engine takes head and joiner together (same settings), then other: other has two ahead, joiner none.
        Assert.Equal((0, 0), (joiner.Latest.QueuePosition, joiner.Latest.JobsAhead));
        Assert.Equal((2, 2), (other.Latest.QueuePosition, other.Latest.JobsAhead));
        Assert.Equal([head, joiner], queue.TryTake(4));
        Assert.Equal([other], queue.TryTake(4));
    }
}
