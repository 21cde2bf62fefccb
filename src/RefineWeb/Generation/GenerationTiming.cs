using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace RefineWeb.Generation;

/// <summary>
/// What the engine has measured of its own speed, for estimates people can trust: each stage's step time (a moving
/// average of recent batches) and how long the batch running now still needs. The engine thread writes, the queue
/// and the entry points read; nothing here touches a tensor.
/// </summary>
public sealed class GenerationTiming(IOptions<GenerationOptions> options)
{
    /// <summary>Weight of the newest step in the moving average: recent batches count most (load and batch size change).</summary>
    const double Smoothing = 0.2;

    readonly ConcurrentDictionary<string, double> millisecondsPerStep = [];
    volatile IReadOnlyList<(string Name, int DefaultSteps)> stages = [];
    double runningLeft; // ms the running batch still needs; 0 when idle

    /// <summary>The loaded model's stages, in cascade order, with their default steps (the plan of a job that sets none).</summary>
    public void UseStages(IEnumerable<(string Name, int DefaultSteps)> modelStages) => stages = [.. modelStages];

    public void RecordStep(string stage, double milliseconds)
    {
        if (!(milliseconds > 0)) return;
        millisecondsPerStep.AddOrUpdate(stage, milliseconds, (_, average) => average + Smoothing * (milliseconds - average));
    }

    public double? MillisecondsPerStep(string stage) => millisecondsPerStep.TryGetValue(stage, out var ms) ? ms : null;

    /// <summary>The timeline of a job that runs <paramref name="stageCount"/> stages from <paramref name="firstStage"/>
    /// (an upscale enters later), with the steps asked for (null or shorter lists: each stage's default).</summary>
    public JobTimeline? Timeline(int firstStage, int stageCount, IReadOnlyList<int>? steps, int? currentStage = null, int? currentStageSteps = null)
    {
        var known = stages;
        if (firstStage < 0 || stageCount < 1 || firstStage + stageCount > known.Count) return null;
        return new JobTimeline([.. known.Skip(firstStage).Take(stageCount).Select((stage, i) =>
        {
            int model = firstStage + i;
            int count = i == currentStage && currentStageSteps is { } now ? now
                : steps is not null && model < steps.Count ? steps[model] : stage.DefaultSteps;
            return new StagePlan(stage.Name, count, MillisecondsPerStep(stage.Name));
        })]);
    }

    /// <summary>Where in the model's cascade the stage of that name is; -1 when the model has no such stage.</summary>
    public int StageNumber(string name)
    {
        var known = stages;
        for (int i = 0; i < known.Count; i++) if (known[i].Name == name) return i;
        return -1;
    }

    public double RunningMillisecondsLeft
    {
        get => Volatile.Read(ref runningLeft);
        set => Volatile.Write(ref runningLeft, Math.Max(0, value));
    }

    /// <summary>
    /// About how long until a job with <paramref name="imagesAhead"/> images waiting before it starts: what the running
    /// batch still needs, then the jobs ahead, batched as the engine batches them (a step's measured time is a batch's).
    /// Null until every stage was measured once.
    /// </summary>
    public double? SecondsUntilStart(int imagesAhead)
    {
        if (Timeline(0, stages.Count, null) is not { Measured: true } full || stages.Any(s => MillisecondsPerStep(s.Name) is null)) return null;
        int batchesAhead = (imagesAhead + options.Value.MaxBatchImages - 1) / Math.Max(1, options.Value.MaxBatchImages);
        return (RunningMillisecondsLeft + batchesAhead * full.TotalMilliseconds!.Value) / 1000;
    }
}
