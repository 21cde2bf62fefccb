namespace RefineWeb.Generation;

/// <summary>
/// One stage of a job as it will run: its name, its steps, how long one of its steps takes, and how long its first
/// step takes over that (the stage's setup: encoding the prompt, upsampling the last stage's picture); null: not
/// measured yet.
/// </summary>
public sealed record StagePlan(string Name, int Steps, double? MillisecondsPerStep, double SetupMilliseconds = 0);

/// <summary>
/// The time a job takes, stage by stage: the progress bar's share and the "T left" estimate. The stages differ a lot
/// in cost (the 16 px base runs 20 steps, the refiners 1-2 each), so counting every stage as an equal share of the bar
/// or extrapolating from elapsed time is far off; this weighs each step by its stage's measured step time, adds each
/// stage's setup, and the finishing after the last step (scoring, encoding, storing), which a bar at 100 % with
/// "0.0 s left" would hide.
/// </summary>
public sealed class JobTimeline
{
    readonly IReadOnlyList<StagePlan> stages;
    readonly double[] stepCost; // per stage, ms per step (or a stand-in where nothing was measured)
    readonly double finishing;

    /// <summary>False until at least one stage's step time was measured: then there is no time to tell, only a share.</summary>
    public bool Measured { get; }

    /// <param name="finishingMilliseconds">What follows the last step until the images are stored.</param>
    public JobTimeline(IReadOnlyList<StagePlan> stages, double finishingMilliseconds = 0)
    {
        if (stages.Count == 0) throw new ArgumentException("A job runs at least one stage.", nameof(stages));
        this.stages = stages;
        var known = stages.Where(s => s.MillisecondsPerStep is > 0).Select(s => s.MillisecondsPerStep!.Value).ToList();
        Measured = known.Count > 0;
        // An unmeasured stage costs what the measured ones cost on average; with none measured every step counts the same.
        double standIn = Measured ? known.Average() : 1;
        stepCost = [.. stages.Select(s => s.MillisecondsPerStep is double ms && ms > 0 ? ms : standIn)];
        finishing = Measured ? Math.Max(0, finishingMilliseconds) : 0;
    }

    double Setup(int stage) => Measured ? Math.Max(0, stages[stage].SetupMilliseconds) : 0;

    double StageCost(int stage) => Setup(stage) + stages[stage].Steps * stepCost[stage];

    double Total => Enumerable.Range(0, stages.Count).Sum(StageCost) + finishing;

    /// <summary>Cost done once <paramref name="step"/> (1-based) of stage <paramref name="stageIndex"/> has finished.</summary>
    double Done(int stageIndex, int step)
    {
        int index = Math.Clamp(stageIndex, 0, stages.Count - 1);
        double done = 0;
        for (int i = 0; i < index; i++) done += StageCost(i);
        int steps = Math.Clamp(step, 0, stages[index].Steps);
        return done + (steps > 0 ? Setup(index) : 0) + steps * stepCost[index];
    }

    /// <summary>Share of the job's time done, 0-1, after that step.</summary>
    public double Progress(int stageIndex, int step) => Math.Clamp(Done(stageIndex, step) / Total, 0, 1);

    /// <summary>Milliseconds left after that step (the finishing included); null when no stage was measured yet.</summary>
    public double? MillisecondsLeft(int stageIndex, int step) => Measured ? Math.Max(0, Total - Done(stageIndex, step)) : null;

    /// <summary>Milliseconds the whole job takes; null when no stage was measured yet.</summary>
    public double? TotalMilliseconds => Measured ? Total : null;
}
