using Microsoft.Extensions.Options;
using RefineWeb.Generation;

namespace RefineWeb.Tests.Generation;

/// <summary>Progress and time left weigh each step by its stage's measured step time (hand-computed values).</summary>
public sealed class JobTimelineTests
{
    // The built-in model's shape: a 20-step base at 20 ms a step, then refiners of 2 steps at 15 ms and 1 step at 100 ms.
    static readonly JobTimeline Cascade = new([new("base", 20, 20), new("refiner32", 2, 15), new("refiner256", 1, 100)]);

    [Fact]
    public void Progress_is_the_share_of_the_measured_time_not_of_stages_or_steps()
    {
        // Total 400 + 30 + 100 = 530 ms.
        Assert.Equal(200.0 / 530, Cascade.Progress(0, 10), 10); // halfway through the base: 38 %, not 17 % (a third of a stage)
        Assert.Equal(415.0 / 530, Cascade.Progress(1, 1), 10);
        Assert.Equal(1.0, Cascade.Progress(2, 1), 10);
        Assert.Equal(530.0, Cascade.TotalMilliseconds!.Value, 10);
        Assert.Equal(330.0, Cascade.MillisecondsLeft(0, 10)!.Value, 10);
        Assert.Equal(0.0, Cascade.MillisecondsLeft(2, 1)!.Value, 10);
    }

    [Fact]
    public void An_unmeasured_stage_costs_the_average_of_the_measured_ones_and_nothing_measured_tells_no_time()
    {
        var partly = new JobTimeline([new("base", 4, 10), new("refiner32", 2, null)]); // refiner32 stands in at 10 ms
        Assert.Equal(40.0 / 60, partly.Progress(0, 4), 10);
        Assert.Equal(20.0, partly.MillisecondsLeft(0, 4)!.Value, 10);

        var none = new JobTimeline([new("base", 4, null), new("refiner32", 2, null)]);
        Assert.False(none.Measured);
        Assert.Null(none.MillisecondsLeft(0, 1));
        Assert.Equal(4.0 / 6, none.Progress(0, 4), 10); // every step the same share
    }

    [Fact]
    public void The_timing_builds_a_jobs_plan_from_the_model_and_its_request_and_estimates_the_wait()
    {
        var timing = new GenerationTiming(Options.Create(new GenerationOptions { MaxBatchImages = 4 }));
        timing.UseStages([("base", 20), ("refiner32", 2), ("refiner64", 2)]);
        Assert.Null(timing.SecondsUntilStart(0)); // nothing measured yet: no number rather than a wrong one

        timing.RecordStep("base", 20);
        timing.RecordStep("base", 30); // moving average: 20 + 0.2 * 10 = 22
        Assert.Equal(22.0, timing.MillisecondsPerStep("base")!.Value, 10);
        timing.RecordStep("refiner32", 15);
        Assert.Null(timing.SecondsUntilStart(0)); // refiner64 not measured yet
        timing.RecordStep("refiner64", 40);

        // Steps as asked (10 for the base), the rest at their defaults: 220 + 30 + 80 ms.
        Assert.Equal(330.0, timing.Timeline(0, 3, [10])!.TotalMilliseconds!.Value, 10);
        // An upscale entering at 32 px runs refiner32 and refiner64 only.
        Assert.Equal(110.0, timing.Timeline(1, 2, null)!.TotalMilliseconds!.Value, 10);
        Assert.Null(timing.Timeline(2, 2, null)); // past the model's last stage

        // The wait: what the running batch still needs, then whole batches of up to 4 images ahead (a full job is 440 + 30 + 80 = 550 ms).
        timing.RunningMillisecondsLeft = 300;
        Assert.Equal(0.3, timing.SecondsUntilStart(0)!.Value, 10);
        Assert.Equal(0.85, timing.SecondsUntilStart(4)!.Value, 10);
        Assert.Equal(1.4, timing.SecondsUntilStart(5)!.Value, 10);
    }
}
