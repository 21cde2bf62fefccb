using Bunit;
using RefineWeb.Components.Pages.Home;
using RefineWeb.Generation;

namespace RefineWeb.Tests.Components;

public sealed class ProgressPanelTests : MudComponentTest
{
    static JobView Following(params GenerationEvent[] events)
    {
        var job = TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "red heart" }, [1]);
        var view = new JobView();
        var now = DateTimeOffset.UtcNow; // the panel counts down from when the events came, to the time it renders
        view.Start(job, now);
        foreach (var update in events) view.Apply(update with { JobId = job.Id }, now);
        return view;
    }

    static GenerationEvent Step(int stage, string name, int resolution, double progress) => new()
    {
        JobId = "", Status = GenerationStatus.Running, StageIndex = stage, StageCount = 3, StageName = name, Resolution = resolution,
        Step = 1, TotalSteps = 2, Progress = progress, SecondsLeft = 1.24, Previews = [[1, 2, 3]],
    };

    [Fact]
    public void Nothing_shows_before_a_job_and_a_queued_job_says_its_place_and_wait()
    {
        Assert.Empty(Bunit.Render<ProgressPanel>(p => p.Add(x => x.Job, new JobView())).FindAll("[data-testid=progress-text]"));

        var queued = Bunit.Render<ProgressPanel>(p => p.Add(x => x.Job,
            Following(new GenerationEvent { JobId = "", Status = GenerationStatus.Queued, QueuePosition = 2, SecondsUntilStart = 4.04 })));
        Assert.Contains("Queued: 2 ahead of you", queued.Find("[data-testid=progress-text]").TextContent);
        Assert.Equal("about 4.0 s until it starts", queued.Find("[data-testid=time-left]").TextContent);
    }

    [Fact]
    public void A_running_job_shows_its_stage_time_left_bar_and_strip_unless_an_editor_is_open()
    {
        var job = Following(Step(0, "base", 16, 0.5), Step(1, "refiner32", 32, 0.75));
        var panel = Bunit.Render<ProgressPanel>(p => p.Add(x => x.Job, job));
        Assert.Contains("refiner32 (32 px): step 1/2", panel.Find("[data-testid=progress-text]").TextContent);
        Assert.Equal("about 1.2 s left", panel.Find("[data-testid=time-left]").TextContent);
        Assert.Equal("75", panel.Find("[data-testid=progress-bar]").GetAttribute("aria-valuenow"));
        Assert.Equal(["16 px", "32 px"], panel.FindAll("[data-testid=stage-frame] figcaption").Select(f => f.TextContent));

        var editing = Bunit.Render<ProgressPanel>(p => p.Add(x => x.Job, job).Add(x => x.ShowStages, false));
        Assert.Empty(editing.FindAll("[data-testid=stages]"));
    }
}
