using RefineWeb.Components.Pages.Home;
using RefineWeb.Generation;

namespace RefineWeb.Tests.Components;

/// <summary>Job events into what the page shows, without a component or a browser.</summary>
public sealed class JobViewTests
{
    static readonly DateTimeOffset T0 = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    static readonly byte[] Png = [137, 80, 78, 71];

    static (JobView View, GenerationJob Job) Started()
    {
        var job = TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "red heart" }, [7]);
        var view = new JobView();
        view.Start(job, T0);
        return (view, job);
    }

    static GenerationEvent Step(string id, int stage, string name, int resolution, int step, int total, double progress, double? left) => new()
    {
        JobId = id, Status = GenerationStatus.Running, StageIndex = stage, StageCount = 2, StageName = name, Resolution = resolution,
        Step = step, TotalSteps = total, Progress = progress, SecondsLeft = left, Previews = [Png],
    };

    [Fact]
    public void The_wait_and_the_work_are_told_apart()
    {
        var (view, job) = Started();
        view.Apply(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Queued, QueuePosition = 3, SecondsUntilStart = 12.4 }, T0);
        Assert.Equal(("Queued: 3 ahead of you", "about 12 s until it starts"), (view.Headline, view.TimeLeft));
        view.Apply(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Queued, QueuePosition = 0 }, T0);
        Assert.Equal(("Next in line", ""), (view.Headline, view.TimeLeft)); // nothing measured: no number rather than a wrong one

        view.Apply(Step(job.Id, 0, "base", 16, 9, 20, 0.4, 2.14), T0.AddSeconds(1));
        Assert.Equal(("base (16 px): step 9/20", "about 2.1 s left"), (view.Headline, view.TimeLeft));
        Assert.Equal(40, view.ProgressPercent, 10);
        Assert.True(view.Running);
    }

    [Fact]
    public void The_count_of_jobs_ahead_includes_those_running_and_the_times_count_down_between_events()
    {
        var (view, job) = Started();
        // Next among the waiting, but one batch runs: one job ahead, not "next in line".
        view.Apply(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Queued, QueuePosition = 0, JobsAhead = 1, SecondsUntilStart = 7.6 }, T0);
        Assert.Equal("Queued: 1 ahead of you", view.Headline);
        Assert.Equal("about 7.6 s until it starts", view.TimeLeftAt(T0));
        Assert.Equal("about 4.6 s until it starts", view.TimeLeftAt(T0.AddSeconds(3))); // moves without a new event
        Assert.Equal("starting any moment", view.TimeLeftAt(T0.AddSeconds(9))); // late: no negative time, no "0.0 s"
        view.Apply(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Queued, QueuePosition = 0, JobsAhead = 0 }, T0);
        Assert.Equal("Next in line", view.Headline);

        view.Apply(Step(job.Id, 1, "refiner32", 32, 2, 2, 0.9, 2.0), T0.AddSeconds(10));
        Assert.Equal("about 2.0 s left", view.TimeLeftAt(T0.AddSeconds(10)));
        Assert.Equal("about 0.5 s left", view.TimeLeftAt(T0.AddSeconds(11.5)));
        Assert.Equal("finishing", view.TimeLeftAt(T0.AddSeconds(12))); // the last step is done; scoring and storing remain
    }

    [Fact]
    public void Previews_fill_the_grid_and_the_stage_strip_then_the_finished_images_replace_them()
    {
        var (view, job) = Started();
        view.Apply(Step(job.Id, 0, "base", 16, 20, 20, 0.8, 0.5), T0);
        Assert.True(view.ShowsStages); // two stages will run: the strip starts with the first
        Assert.Single(view.StageFrames);
        view.Apply(Step(job.Id, 1, "refiner32", 32, 1, 2, 0.9, 0.1), T0);
        Assert.Equal([16, 32], view.StageFrames.Select(f => f.Resolution));
        Assert.StartsWith("data:image/png;base64,", view.Pictures[0]);
        Assert.Equal(32, view.PictureSide);

        view.Apply(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Succeeded, Progress = 1, ImageIds = ["abc"] }, T0.AddSeconds(2.5), _ => 64);
        Assert.Equal(["/api/v1/images/abc.png"], view.Pictures);
        Assert.Equal(64, view.PictureSide);
        Assert.Equal("Done in 2.5 s, seed 7", view.Headline);
        Assert.False(view.Running);
    }

    [Fact]
    public void A_cancelled_job_keeps_where_it_stopped_and_a_new_job_starts_clean()
    {
        var (view, job) = Started();
        view.Apply(Step(job.Id, 0, "base", 16, 5, 20, 0.2, 3), T0);
        view.Apply(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Cancelled, StageName = "base", Resolution = 16, Step = 5, TotalSteps = 20, Progress = 0.2 }, T0);
        Assert.True(view.Stopped);
        Assert.Equal("Cancelled at base (16 px), step 5/20: the last estimate is shown", view.Headline);
        Assert.Equal(20, view.ProgressPercent, 10);
        Assert.Single(view.Pictures);

        var next = TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "blue heart" }, [9]);
        view.Start(next, T0);
        Assert.Empty(view.Pictures);
        Assert.Empty(view.StageFrames);
        Assert.Equal(("Next in line", 9L), (view.Headline, view.Seed)); // a new job's first state, nothing of the old one
    }
}
