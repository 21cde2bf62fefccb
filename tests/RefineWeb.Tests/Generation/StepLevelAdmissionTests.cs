using System.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using RefineWeb.Generation;
using Xunit.Abstractions;

namespace RefineWeb.Tests.Generation;

/// <summary>Step-level admission through the app: a job arriving while another runs joins it at the next step.</summary>
public sealed class StepLevelAdmissionTests(ITestOutputHelper output)
{
    /// <summary>Long enough that a second job arrives while the first is on its base stage.</summary>
    static readonly int[] LongSteps = [60, 30, 30];

    /// <summary>
    /// Every event of one generation over the hub, each with when it arrived (one clock for every stream of a test);
    /// <paramref name="onBaseStep3"/> hears the job's id once its base stage has taken 3 steps.
    /// </summary>
    static async Task<List<(GenerationEvent Event, long At)>> StreamAsync(HubConnection connection, GenerationInput input, Stopwatch clock,
        TaskCompletionSource<string>? onBaseStep3 = null)
    {
        var events = new List<(GenerationEvent, long)>();
        await foreach (var update in connection.StreamAsync<GenerationEvent>("Generate", input))
        {
            events.Add((update, clock.ElapsedTicks));
            if (update is { StageIndex: 0, Step: >= 3 }) onBaseStep3?.TrySetResult(update.JobId);
        }
        onBaseStep3?.TrySetException(new InvalidOperationException("the first job ended before its third step"));
        return events;
    }

    /// <summary>Starts the long first job and returns once it is 3 steps into its base stage: its id and its events to come.</summary>
    static async Task<(string Id, Task<List<(GenerationEvent Event, long At)>> Events)> StartFirstAsync(HubConnection connection, Stopwatch clock)
    {
        var running = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var events = StreamAsync(connection, new GenerationInput { Prompt = "red heart", Seed = 21, Steps = LongSteps }, clock, running);
        return (await running.Task.WaitAsync(TimeSpan.FromSeconds(60)), events);
    }

    // Steps are compared by the engine's own stamps (At): two connections may deliver their events in another order.
    // Only running events are steps: a job that stops early ends on an event that repeats where it stopped, unstamped.
    static bool IsStep((GenerationEvent Event, long At) e) => e.Event is { Status: GenerationStatus.Running, Step: not null };

    static DateTimeOffset FirstStepAt(List<(GenerationEvent Event, long At)> events) => events.First(IsStep).Event.At!.Value;

    /// <summary>When the job's last step was heard (its final event follows once its pictures are stored, off the engine's loop).</summary>
    static DateTimeOffset LastStepAt(List<(GenerationEvent Event, long At)> events) => events.Last(IsStep).Event.At!.Value;

    [Fact]
    public async Task A_job_arriving_mid_run_previews_before_the_running_one_ends_shares_its_steps_and_gets_its_own_picture()
    {
        await using var app = await TinyModelApp.StartAsync();
        var second = new GenerationInput { Prompt = "blue heart", Seed = 22, Steps = LongSteps };
        byte[] alone;
        await using (var connection = await app.ConnectAsync())
        {
            var solo = await StreamAsync(connection, second, Stopwatch.StartNew());
            alone = await app.Client.GetByteArrayAsync($"/api/v1/images/{solo[^1].Event.ImageIds![0]}.png");
        }

        var clock = Stopwatch.StartNew();
        await using var firstConnection = await app.ConnectAsync();
        await using var secondConnection = await app.ConnectAsync();
        var (_, firstStream) = await StartFirstAsync(firstConnection, clock);
        var secondEvents = await StreamAsync(secondConnection, second, clock);
        var firstEvents = await firstStream;

        AssertSucceeded(firstEvents);
        AssertSucceeded(secondEvents);
        // It joined: two jobs share the steps, and its first preview came while the first was still running.
        Assert.Equal(2, secondEvents.First(e => e.Event.BatchJobs is not null).Event.BatchJobs);
        Assert.True(FirstStepAt(secondEvents) < LastStepAt(firstEvents), "the second job's first step came only after the first job's last");
        Assert.True(LastStepAt(firstEvents) < LastStepAt(secondEvents)); // the first ends first: it started earlier
        // Its own steps, in order: its own stages and step counts (a lagging client may skip a step's event for a newer one).
        AssertOwnStepsInOrder(secondEvents);
        // Its own picture: the one it makes alone, up to the batch's rounding.
        var joined = await app.Client.GetByteArrayAsync($"/api/v1/images/{secondEvents[^1].Event.ImageIds![0]}.png");
        Assert.True(PictureDifference.MaxChannel(alone, joined) <= 2, "the joined job's picture differs from the one it makes alone");
    }

    [Theory]
    [InlineData(false, "blue heart")] // admission off: every batch runs to its end first
    [InlineData(true, "(blue:1.4) heart")] // emphasis runs as a whole batch: it waits, nothing overtakes it
    public async Task A_job_that_cannot_join_starts_after_the_running_one_ends(bool admission, string prompt)
    {
        var (firstEvents, secondEvents, problems) = await RunOneAfterTheOtherAsync(admission, prompt);
        // This scenario is where CI saw jobs fail on a garbage TorchSharp Scalar (freed by the finalizer mid-call; see
        // ScalarArguments). Whatever the engine logged goes to the output.
        if (problems.Count > 0) output.WriteLine("The engine's warnings and errors:\n" + string.Join("\n", problems));

        AssertSucceeded(firstEvents, problems);
        AssertSucceeded(secondEvents, problems);
        Assert.Equal(1, secondEvents.First(e => e.Event.BatchJobs is not null).Event.BatchJobs);
        Assert.True(FirstStepAt(secondEvents) > LastStepAt(firstEvents), "the second job stepped before the first job's last step");
    }

    /// <summary>The long first job, and a second that cannot join it sent while it runs: both jobs' events, and the engine's logged warnings and errors.</summary>
    static async Task<(List<(GenerationEvent Event, long At)> First, List<(GenerationEvent Event, long At)> Second, List<string> Problems)> RunOneAfterTheOtherAsync(
        bool admission, string prompt)
    {
        var logs = new LogCapture();
        await using var app = await TinyModelApp.StartAsync(new Dictionary<string, string> { ["Generation:StepLevelAdmission"] = admission.ToString() },
            configure: b => b.ConfigureLogging(l => l.AddProvider(logs)));
        var clock = Stopwatch.StartNew();
        await using var firstConnection = await app.ConnectAsync();
        await using var secondConnection = await app.ConnectAsync();
        var (_, firstStream) = await StartFirstAsync(firstConnection, clock);
        var secondEvents = await StreamAsync(secondConnection, new GenerationInput { Prompt = prompt, Seed = 22, Steps = LongSteps }, clock);
        var firstEvents = await firstStream;
        return (firstEvents, secondEvents, [.. logs.Entries.Where(e => e.StartsWith(typeof(GenerationWorker).FullName!)
            && (e.Contains(" Warning: ") || e.Contains(" Error: ") || e.Contains(" Critical: ")))]);
    }

    [Fact]
    public async Task A_job_cancelled_among_joined_ones_ends_cancelled_and_the_other_finishes()
    {
        await using var app = await TinyModelApp.StartAsync();
        var clock = Stopwatch.StartNew();
        await using var firstConnection = await app.ConnectAsync();
        await using var secondConnection = await app.ConnectAsync();
        var (firstJob, firstStream) = await StartFirstAsync(firstConnection, clock);
        var secondStream = StreamAsync(secondConnection, new GenerationInput { Prompt = "blue heart", Seed = 22, Steps = LongSteps }, clock);
        var deadline = Stopwatch.StartNew();
        while (app.Service<GenerationMetrics>().Status("t", DateTimeOffset.UtcNow).BatchJobs < 2 && deadline.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(10);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await app.Client.DeleteAsync($"/api/v1/generations/{firstJob}")).StatusCode);

        var (firstEvents, secondEvents) = (await firstStream, await secondStream);
        Assert.Equal(GenerationStatus.Cancelled, firstEvents[^1].Event.Status);
        AssertSucceeded(secondEvents);
        Assert.Equal(2, secondEvents.First(e => e.Event.BatchJobs is not null).Event.BatchJobs);
        AssertOwnStepsInOrder(secondEvents);
    }

    static void AssertSucceeded(List<(GenerationEvent Event, long At)> events, IReadOnlyList<string>? errors = null) =>
        Assert.True(events[^1].Event.Status == GenerationStatus.Succeeded,
            $"the job ended {events[^1].Event.Status}: {events[^1].Event.Error} {string.Join("\n", errors?.Take(2) ?? [])}");

    /// <summary>The job's step events move forward only, within its own stages and step counts.</summary>
    static void AssertOwnStepsInOrder(List<(GenerationEvent Event, long At)> events)
    {
        var steps = events.Where(e => e.Event.Step is not null).Select(e => (Stage: e.Event.StageIndex!.Value, Step: e.Event.Step!.Value, Total: e.Event.TotalSteps!.Value)).ToList();
        Assert.NotEmpty(steps);
        Assert.All(steps, s => Assert.Equal(LongSteps[s.Stage], s.Total));
        Assert.True(steps.Zip(steps.Skip(1)).All(p => (p.Second.Stage, p.Second.Step).CompareTo((p.First.Stage, p.First.Step)) > 0),
            string.Join(" ", steps.Select(s => $"{s.Stage}/{s.Step}")));
    }
}
