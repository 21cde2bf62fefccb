using RefineWeb.Generation;

namespace RefineWeb.Tests.Generation;

public sealed class GenerationJobTests
{
    static GenerationEvent Step(GenerationJob job, int step) => new() { JobId = job.Id, Status = GenerationStatus.Running, Step = step, TotalSteps = 100 };

    [Fact]
    public async Task A_lagging_listener_loses_old_previews_but_always_gets_the_final_event()
    {
        var job = TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "red heart" }, [1]);
        var slow = job.Listen(buffer: 4);
        for (int step = 1; step <= 100; step++) job.Publish(Step(job, step)); // the engine never waits for the listener
        job.Publish(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Succeeded, ImageIds = ["a"] });

        var received = new List<GenerationEvent>();
        await foreach (var update in slow.ReadAllAsync()) received.Add(update);
        Assert.Equal(4, received.Count);
        Assert.Equal([98, 99, 100], received.Take(3).Select(e => e.Step!.Value));
        Assert.Equal(GenerationStatus.Succeeded, received[^1].Status);
    }

    [Fact]
    public async Task A_listener_that_joins_late_starts_from_the_latest_state_and_nothing_follows_the_end()
    {
        var job = TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "red heart" }, [1]);
        job.Publish(Step(job, 7));
        var late = job.Listen();
        job.Publish(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Cancelled });
        job.Publish(Step(job, 8)); // ignored: the job has ended

        var received = new List<GenerationEvent>();
        await foreach (var update in late.ReadAllAsync()) received.Add(update);
        Assert.Equal([GenerationStatus.Running, GenerationStatus.Cancelled], received.Select(e => e.Status));
        Assert.Equal(7, received[0].Step);
        Assert.False(job.HasListeners);
        Assert.Equal(GenerationStatus.Cancelled, job.Latest.Status);
    }
}
