using RefineWeb.Engine.Requests;
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
        var timing = new GenerationTiming();
        timing.UseStages([("base", 20, 16), ("refiner32", 2, 32), ("refiner64", 2, 64)]);
        static ImageRequest Request(int count = 1, int steps = 20) =>
            TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "red heart", Steps = [steps] }, [.. Enumerable.Range(1, count).Select(i => (long)i)]).Request;
        Assert.Null(timing.SecondsUntilStart([])); // nothing measured yet: no number rather than a wrong one

        timing.RecordStep("base", 20);
        timing.RecordStep("base", 30); // moving average: 20 + 0.2 * 10 = 22
        Assert.Equal(22.0, timing.MillisecondsPerStep("base")!.Value, 10);
        timing.RecordStep("refiner32", 15);
        Assert.Null(timing.SecondsUntilStart([])); // refiner64 not measured yet
        timing.RecordStep("refiner64", 40);

        // Steps as asked (10 for the base), the rest at their defaults: 220 + 30 + 80 ms.
        Assert.Equal(330.0, timing.Timeline(0, 3, [10])!.TotalMilliseconds!.Value, 10);
        // An upscale entering at 32 px runs refiner32 and refiner64 only.
        Assert.Equal(110.0, timing.Timeline(1, 2, null)!.TotalMilliseconds!.Value, 10);
        Assert.Null(timing.Timeline(2, 2, null)); // past the model's last stage

        // The wait: what the running batch still needs, then each batch ahead by its own plan and size. A full job is
        // 440 + 30 + 80 = 550 ms; a step of 4 images, never measured, stands in as 4 times a step of 1.
        timing.RunningMillisecondsLeft = 300;
        Assert.Equal(0.3, timing.SecondsUntilStart([])!.Value, 10);
        Assert.Equal(0.85, timing.SecondsUntilStart([[Request()]])!.Value, 10);
        Assert.Equal(0.3 + 2.2, timing.SecondsUntilStart([[Request(), Request(), Request(), Request()]])!.Value, 10); // one batch of 4
        Assert.Equal(0.3 + 2.2 + 0.55, timing.SecondsUntilStart([[Request(count: 2), Request(count: 2)], [Request()]])!.Value, 10);
        Assert.Equal(0.3 + 0.55 + 0.33, timing.SecondsUntilStart([[Request()], [Request(steps: 10)]])!.Value, 10);
    }

    [Fact]
    public void A_stage_s_setup_the_finishing_and_each_batch_size_are_measured_apart()
    {
        var timing = new GenerationTiming();
        timing.UseStages([("base", 4, 16), ("refiner32", 2, 32)]);
        // The first step of a stage carries its setup (here 50 ms over a 10 ms step); the finishing is per image.
        timing.RecordStep("refiner32", 70, images: 1, firstOfStage: true);
        Assert.Equal(70.0, timing.MillisecondsPerStep("refiner32")!.Value, 10); // its only figure so far: a one-step stage has no other
        timing.RecordStep("base", 60, images: 1, firstOfStage: true);
        timing.RecordStep("base", 10, images: 1);
        Assert.Equal(10.0, timing.MillisecondsPerStep("base")!.Value, 10); // the setup is kept out of the step time
        timing.RecordStep("refiner32", 20, images: 1);
        timing.RecordFinishing(200, images: 2); // 100 ms an image
        var one = timing.Timeline(0, 2, null)!;
        // base: setup 50 + 4 steps of 10; refiner32: setup 50 + 2 steps of 20; finishing 100
        Assert.Equal(50 + 40 + 50 + 40 + 100, one.TotalMilliseconds!.Value, 10);
        Assert.Equal(100.0, one.MillisecondsLeft(1, 2)!.Value, 10); // after the last step: the finishing, not 0
        Assert.Equal(50 + 40 + 100, one.MillisecondsLeft(0, 4)!.Value, 10);

        timing.RecordStep("base", 25, images: 4);
        Assert.Equal(25.0, timing.MillisecondsPerStep("base", 4)!.Value, 10); // its own figure once a batch of 4 ran
        Assert.Equal(10 + (25.0 - 10) * 2 / 3, timing.MillisecondsPerStep("base", 3)!.Value, 10); // between the sizes measured: on the line through them
        Assert.Equal(25.0 * 6 / 4, timing.MillisecondsPerStep("base", 6)!.Value, 10); // past them: the nearest, scaled by the images

        // Whole batches teach what the parts miss: told 1000 ms left, it took 800 ms; the next "left" is told 4 % lower.
        Assert.Equal(1.0, timing.RemainingCorrection, 10);
        timing.RecordRemaining(1000, 800);
        Assert.Equal(0.96, timing.RemainingCorrection, 10);
        double before = one.TotalMilliseconds!.Value;
        timing.RecordBatch(before, before * 1.5); // a batch took half as long again as its timeline said
        Assert.Equal(before * 1.1, timing.Timeline(0, 2, null)!.TotalMilliseconds!.Value, 6);
    }
}
