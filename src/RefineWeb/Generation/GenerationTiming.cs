using System.Collections.Concurrent;
using RefineWeb.Engine.Requests;

namespace RefineWeb.Generation;

/// <summary>
/// What the engine has measured of its own speed, for estimates people can trust: per stage and batch size, a step's
/// time and the stage's setup (its first step's extra); the finishing after the last step, per batch size; and how long
/// the batch running now still needs. A step of four images costs more than one of one, so each batch size keeps its
/// own figures (the sizes measured stand in, interpolated, until it has run). The engine measures every stage
/// once at start-up (<see cref="GenerationWorker"/>), so the first job already has honest numbers. The engine thread
/// writes, the queue and the entry points read; nothing here touches a tensor.
/// </summary>
public sealed class GenerationTiming
{
    /// <summary>Weight of the newest figure in the moving averages: recent batches count most (load changes).</summary>
    const double Smoothing = 0.2;

    readonly ConcurrentDictionary<(string Stage, int Images), double> millisecondsPerStep = [];
    readonly ConcurrentDictionary<(string Stage, int Images), double> setupMilliseconds = [];
    // First steps of a stage never seen with a plain step (a one-step stage): its only figure, setup included.
    readonly ConcurrentDictionary<(string Stage, int Images), double> firstSteps = [];
    readonly ConcurrentDictionary<(string Stage, int Images), double> finishing = []; // after the last step, per batch size (stage "")
    volatile IReadOnlyList<(string Name, int DefaultSteps, int Resolution)> stages = [];
    double runningLeft; // ms the running batch still needs; 0 when idle

    readonly TaskCompletionSource warmedUp = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Done once the engine has measured every stage at start-up (or could not: no model, a failure).</summary>
    public Task WarmedUp => warmedUp.Task;

    internal void WarmUpEnded() => warmedUp.TrySetResult();

    /// <summary>The loaded model's stages, in cascade order, with their default steps (the plan of a job that sets none) and sizes.</summary>
    public void UseStages(IEnumerable<(string Name, int DefaultSteps, int Resolution)> modelStages) => stages = [.. modelStages];

    static void Average(ConcurrentDictionary<(string, int), double> figures, (string, int) key, double milliseconds) =>
        figures.AddOrUpdate(key, milliseconds, (_, average) => average + Smoothing * (milliseconds - average));

    /// <summary>One step of a batch of <paramref name="images"/>; the first step of a stage also holds its setup.</summary>
    public void RecordStep(string stage, double milliseconds, int images = 1, bool firstOfStage = false)
    {
        if (!(milliseconds > 0)) return;
        var key = (stage, Math.Max(1, images));
        if (!firstOfStage)
        {
            Average(millisecondsPerStep, key, milliseconds);
            // A first step seen before any plain one: now its setup can be told apart.
            if (firstSteps.TryRemove(key, out var first)) Average(setupMilliseconds, key, Math.Max(0, first - millisecondsPerStep[key]));
        }
        else if (millisecondsPerStep.TryGetValue(key, out var step)) Average(setupMilliseconds, key, Math.Max(0, milliseconds - step));
        else Average(firstSteps, key, milliseconds);
    }

    /// <summary>From a batch's last step until its images were made and scored (several candidates are ranked; one is not).</summary>
    public void RecordFinishing(double milliseconds, int images)
    {
        if (milliseconds >= 0 && images >= 1) Average(finishing, ("", images), milliseconds);
    }

    double correction = 1; // what whole batches really took over what their timeline said (contention, anything the parts miss)

    /// <summary>
    /// A whole batch: what its timeline said at its start against what it took. The parts (steps, setups, finishing)
    /// are measured one by one; this catches what falls between them, and every later timeline is scaled by it.
    /// </summary>
    public void RecordBatch(double predictedMilliseconds, double actualMilliseconds)
    {
        if (!(predictedMilliseconds > 0) || !(actualMilliseconds > 0)) return;
        double current = Volatile.Read(ref correction);
        Volatile.Write(ref correction, Math.Clamp(current * (1 + Smoothing * (actualMilliseconds / predictedMilliseconds - 1)), 0.5, 2));
    }

    double remainingCorrection = 1; // what the rest of batches really took over what was told at about a quarter of the way

    /// <summary>
    /// The time left as told at one step of a batch (about a quarter of the way) against what the batch then really
    /// took: "T left" is scaled by it, so whatever the parts' figures miss about the rest of a batch is learnt.
    /// </summary>
    public void RecordRemaining(double toldMilliseconds, double actualMilliseconds)
    {
        if (!(toldMilliseconds > 0) || !(actualMilliseconds > 0)) return;
        double current = Volatile.Read(ref remainingCorrection);
        Volatile.Write(ref remainingCorrection, Math.Clamp(current * (1 + Smoothing * (actualMilliseconds / (toldMilliseconds * current) - 1)), 0.5, 2));
    }

    /// <summary>The factor "T left" is told with (see <see cref="RecordRemaining"/>).</summary>
    public double RemainingCorrection => Volatile.Read(ref remainingCorrection);

    /// <summary>A step's time for a batch of that size (other sizes' figures stand in, see <see cref="Scaled"/>); null when the stage never ran.</summary>
    public double? MillisecondsPerStep(string stage, int images = 1) => Scaled(millisecondsPerStep, stage, images) ?? Scaled(firstSteps, stage, images);

    /// <summary>
    /// A figure for a batch size: its own; else a line through the nearest measured sizes below and above (a step's
    /// cost grows with the images, less than in proportion: a batch shares the fixed costs); else the one measured
    /// size's, scaled by the images.
    /// </summary>
    static double? Scaled(ConcurrentDictionary<(string Stage, int Images), double> figures, string stage, int images)
    {
        images = Math.Max(1, images);
        if (figures.TryGetValue((stage, images), out var exact)) return exact;
        var sizes = figures.Where(f => f.Key.Stage == stage).Select(f => (f.Key.Images, f.Value)).ToList();
        if (sizes.Count == 0) return null;
        var below = sizes.Where(f => f.Images < images).OrderByDescending(f => f.Images).FirstOrDefault();
        var above = sizes.Where(f => f.Images > images).OrderBy(f => f.Images).FirstOrDefault();
        if (below.Images > 0 && above.Images > 0)
            return below.Value + (above.Value - below.Value) * (images - below.Images) / (above.Images - below.Images);
        var nearest = below.Images > 0 ? below : above;
        return nearest.Value * images / nearest.Images;
    }

    /// <summary>The timeline of a job that runs <paramref name="stageCount"/> stages from <paramref name="firstStage"/>
    /// (an upscale enters later), with the steps asked for (null or shorter lists: each stage's default), in a batch of
    /// <paramref name="images"/>.</summary>
    public JobTimeline? Timeline(int firstStage, int stageCount, IReadOnlyList<int>? steps, int? currentStage = null, int? currentStageSteps = null, int images = 1)
    {
        var known = stages;
        if (firstStage < 0 || stageCount < 1 || firstStage + stageCount > known.Count) return null;
        return new JobTimeline([.. known.Skip(firstStage).Take(stageCount).Select((stage, i) =>
        {
            int model = firstStage + i;
            int count = i == currentStage && currentStageSteps is { } now ? now
                : steps is not null && model < steps.Count ? steps[model] : stage.DefaultSteps;
            double scale = Volatile.Read(ref correction);
            return new StagePlan(stage.Name, count, MillisecondsPerStep(stage.Name, images) * scale, (Scaled(setupMilliseconds, stage.Name, images) ?? 0) * scale);
        })], (Scaled(finishing, "", images) ?? 0) * Volatile.Read(ref correction));
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

    /// <summary>Whether every stage has been measured (at start-up, or by the jobs since): estimates are worth telling.</summary>
    bool EveryStageMeasured => stages.Count > 0 && stages.All(s => MillisecondsPerStep(s.Name) is not null);

    /// <summary>
    /// About how long until a job starts that has these batches before it (as the engine will take them): what the
    /// running batch still needs, then each batch by its own plan and size. Null until every stage was measured.
    /// </summary>
    public double? SecondsUntilStart(IEnumerable<IReadOnlyList<ImageRequest>> batchesAhead)
    {
        if (!EveryStageMeasured) return null;
        double total = RunningMillisecondsLeft;
        foreach (var batch in batchesAhead)
            if (batch.Count > 0) total += BatchMilliseconds(batch[0], batch.Sum(r => r.Seeds.Count));
        return total / 1000;
    }

    double BatchMilliseconds(ImageRequest request, int images)
    {
        // An edit enters the cascade at the stage of its picture's size; a plain job at the base.
        var known = stages;
        int firstStage = request.Edit is { } edit ? Math.Max(0, known.ToList().FindIndex(s => s.Resolution == edit.Source.Width)) : 0;
        int stageCount = Math.Clamp(request.Settings.Stages ?? known.Count, 1, known.Count - firstStage);
        return Timeline(firstStage, stageCount, request.Settings.Steps, images: images)?.TotalMilliseconds ?? 0;
    }
}
