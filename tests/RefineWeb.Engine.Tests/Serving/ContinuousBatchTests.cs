using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Requests;
using RefineWeb.Engine.Serving;
using RefineWeb.Engine.Tests.Pipelines;

namespace RefineWeb.Engine.Tests.Serving;

/// <summary>Step-level admission on the shipped model: requests join a running set between steps and still get their own pictures.</summary>
public sealed class ContinuousBatchTests(ShippedModelFixture fixture) : IClassFixture<ShippedModelFixture>
{
    ImageRequest Request(string prompt, long seed, int count = 1, int stages = 3, string? negative = null)
    {
        var (request, errors) = ImageRequest.Parse(new GenerationInput { Prompt = prompt, Seed = seed, Count = count, Stages = stages, NegativePrompt = negative }, fixture.Model.Stages.Count);
        return request ?? throw new ArgumentException(string.Join(" ", errors.SelectMany(e => e.Value)));
    }

    /// <summary>Steps until every request has finished (at most <paramref name="maxSteps"/>); each step's events and the results by key.</summary>
    static (List<(string Key, int Stage, int Step, int PassImages)> Events, Dictionary<string, EngineResult> Results) RunToEnd(
        ContinuousBatch<string> running, Action<int>? beforeStep = null, int maxSteps = 200)
    {
        var events = new List<(string, int, int, int)>();
        var results = new Dictionary<string, EngineResult>();
        for (int tick = 0; tick < maxSteps && (running.Count > 0 || tick == 0); tick++)
        {
            beforeStep?.Invoke(tick);
            foreach (var (key, result) in running.Step(step => events.Add((step.Key, step.Step.StageIndex, step.Step.Step, step.PassImages))))
                results[key] = result;
        }
        Assert.Equal(0, running.Count);
        return (events, results);
    }

    static int MaxDifference(RgbImage a, RgbImage b) => a.Pixels.Zip(b.Pixels).Max(p => Math.Abs(p.First - p.Second));

    [Fact]
    public void A_request_stepping_alone_makes_exactly_the_bytes_and_scores_of_the_whole_cascade()
    {
        var engine = new ImageEngine(fixture.Model);
        var request = Request("red heart", seed: 4, count: 2, negative: "blue");
        var whole = engine.Run([request])[0];

        using var running = new ContinuousBatch<string>(engine);
        running.Admit("a", request);
        var (events, results) = RunToEnd(running);

        var stepped = results["a"];
        Assert.Equal(2, stepped.Images.Count);
        for (int i = 0; i < 2; i++) Assert.Equal(whole.Images[i].Pixels, stepped.Images[i].Pixels);
        Assert.Equal(whole.Scores!.Select(s => s.Prompt), stepped.Scores!.Select(s => s.Prompt));
        // Every step of every stage, in order: the base's 20, then each refiner's.
        var steps = engine.StepsPerStage(request.Settings);
        Assert.Equal(steps.SelectMany((count, stage) => Enumerable.Range(1, count).Select(step => (stage, step))),
            events.Select(e => (e.Stage, e.Step)));
    }

    [Fact]
    public void A_request_that_joins_mid_run_shares_the_passes_and_both_get_the_pictures_they_get_alone()
    {
        var engine = new ImageEngine(fixture.Model);
        var (first, second) = (Request("red heart", seed: 11), Request("blue heart", seed: 12));
        var firstAlone = engine.Run([first])[0].Images[0];
        var secondAlone = engine.Run([second])[0].Images[0];

        using var running = new ContinuousBatch<string>(engine);
        running.Admit("first", first);
        var (events, results) = RunToEnd(running, tick =>
        {
            if (tick != 5) return;
            Assert.True(running.CanAdmit(second));
            running.Admit("second", second); // joins at the first's sixth base step
        });

        // The joiner's first step is the pass of the first's sixth step: one forward pass, two images, each at its own timestep.
        int joined = events.FindIndex(e => e.Key == "second");
        Assert.Equal(("first", 0, 6, 2), events[joined - 1]);
        Assert.Equal(("second", 0, 1, 2), events[joined]);
        // Each gets its own picture: the one it gets alone, up to the batch's rounding (oneDNN blocks by rows: a level at most).
        var (firstStepped, secondStepped) = (results["first"].Images[0], results["second"].Images[0]);
        Assert.True(MaxDifference(firstAlone, firstStepped) <= 1, $"the first moved by {MaxDifference(firstAlone, firstStepped)} levels");
        Assert.True(MaxDifference(secondAlone, secondStepped) <= 1, $"the joiner moved by {MaxDifference(secondAlone, secondStepped)} levels");
        Assert.True(secondAlone.Pixels.Zip(secondStepped.Pixels).Count(p => p.First != p.Second) < secondAlone.Pixels.Length / 100);
        Assert.NotEqual(firstStepped.Pixels, secondStepped.Pixels);
        // The first finished first (it started earlier), and each heard every one of its steps once, in order.
        Assert.True(events.FindLastIndex(e => e.Key == "first") < events.FindLastIndex(e => e.Key == "second"));
        var steps = engine.StepsPerStage(first.Settings);
        foreach (var key in new[] { "first", "second" })
            Assert.Equal(steps.SelectMany((count, stage) => Enumerable.Range(1, count).Select(step => (stage, step))),
                events.Where(e => e.Key == key).Select(e => (e.Stage, e.Step)));
    }

    [Fact]
    public void A_removed_request_takes_no_more_steps_and_the_others_finish()
    {
        var engine = new ImageEngine(fixture.Model);
        using var running = new ContinuousBatch<string>(engine);
        running.Admit("stays", Request("cat face", seed: 1, stages: 2));
        running.Admit("leaves", Request("rocket", seed: 2, stages: 2));
        Assert.Equal(2, running.Images);
        var (events, results) = RunToEnd(running, tick =>
        {
            if (tick == 3) Assert.True(running.Remove("leaves"));
        });
        Assert.Equal(3, events.Count(e => e.Key == "leaves"));
        Assert.Equal(["stays"], results.Keys);
        Assert.False(running.Remove("leaves"));
    }

    [Fact]
    public void Only_plain_text_requests_with_the_running_ones_settings_join()
    {
        var engine = new ImageEngine(fixture.Model);
        using var running = new ContinuousBatch<string>(engine);
        var emphasis = Request("(red:1.5) heart", seed: 1);
        Assert.False(running.CanAdmit(emphasis));
        Assert.False(ContinuousBatch<string>.CanStep(emphasis));
        var layout = ImageRequest.Parse(new GenerationInput
        {
            Prompt = "heart", Regions = [new RegionInput { Prompt = "red heart", Rect = new RegionRect { X = 0, Y = 0, Width = 0.5, Height = 1 } }],
        }, fixture.Model.Stages.Count).Request!;
        Assert.False(ContinuousBatch<string>.CanStep(layout));
        Assert.Throws<ArgumentException>(() => running.Admit("x", emphasis));

        running.Admit("a", Request("red heart", seed: 1));
        Assert.True(running.CanAdmit(Request("cat face", seed: 2, count: 2, negative: "blue")));
        Assert.False(running.CanAdmit(Request("cat face", seed: 2, stages: 2))); // other settings wait for their own set
        Assert.Throws<ArgumentException>(() => running.Admit("a", Request("cat face", seed: 3)));
    }
}
