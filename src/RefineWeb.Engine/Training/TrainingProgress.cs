namespace RefineWeb.Engine.Training;

/// <summary>Reported every <see cref="TrainingOptions.LogEvery"/> steps: the mean loss since the last report, the pace, and how many updates were skipped for non-finite gradients.</summary>
public sealed record TrainingProgress(int Step, int TotalSteps, double Loss, double LearningRate, double ImagesPerSecond, TimeSpan Elapsed, TimeSpan Remaining, int SkippedSteps = 0);
