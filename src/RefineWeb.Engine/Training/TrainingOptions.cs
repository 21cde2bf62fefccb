namespace RefineWeb.Engine.Training;

/// <summary>Hyper-parameters of one training run. The learning-rate schedule depends on <see cref="Steps"/>, so a resumed run keeps it.</summary>
public sealed record TrainingOptions
{
    public int Steps { get; init; } = 10_000;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 5e-4;
    public int WarmupSteps { get; init; } = 200;
    /// <summary>The cosine schedule ends at this fraction of the peak learning rate.</summary>
    public double FinalLearningRateFraction { get; init; } = 0.1;
    public double EmaDecay { get; init; } = 0.999;
    public double GradientClip { get; init; } = 1.0;
    /// <summary>Share of captions replaced by the empty caption (trains the unconditional branch for guidance).</summary>
    public double CaptionDropout { get; init; } = 0.1;
    /// <summary>Refiners train on random square crops of this side (0 = whole images).</summary>
    public int CropSize { get; init; }
    /// <summary>Refiners see the stage below noised to a level drawn uniformly from [0, this].</summary>
    public int MaxAugmentationLevel { get; init; } = 250;
    /// <summary>
    /// Diffusion stages: weight of an edge loss added to the denoising loss, the L1 distance between the horizontal and
    /// vertical pixel differences of the predicted image (x0, the upsampled input added back for a residual refiner) and
    /// of the truth. MSE alone rewards the blurred mean of the sharp answers; 0 trains with MSE alone.
    /// </summary>
    public double EdgeLossWeight { get; init; }
    /// <summary>
    /// A stage with a layout channel: the share of each batch drawn as synthetic layouts (<see cref="SyntheticLayouts"/>:
    /// two emoji on one canvas, the row's caption and layout naming one of them, the loss on its region alone); the
    /// rest trains as before, on whole pictures with the whole picture as layout.
    /// </summary>
    public double LayoutShare { get; init; }
    public long Seed { get; init; }
    public int LogEvery { get; init; } = 10;
    public int SampleEvery { get; init; } = 500;
    public int CheckpointEvery { get; init; } = 250;

    public void Validate()
    {
        if (Steps < 1) throw new ArgumentException("Steps must be at least 1.");
        if (BatchSize < 2) throw new ArgumentException("The batch size must be at least 2.");
        if (LearningRate <= 0) throw new ArgumentException("The learning rate must be positive.");
        if (WarmupSteps < 0) throw new ArgumentException("Warm-up steps cannot be negative.");
        if (EmaDecay is < 0 or >= 1) throw new ArgumentException("EMA decay must be in [0, 1).");
        if (CaptionDropout is < 0 or >= 1) throw new ArgumentException("Caption dropout must be in [0, 1).");
        if (CropSize < 0) throw new ArgumentException("The crop size cannot be negative.");
        if (EdgeLossWeight < 0) throw new ArgumentException("The edge loss weight cannot be negative.");
        if (LayoutShare is < 0 or > 1) throw new ArgumentException("The share of layouts must be in [0, 1].");
        if (LogEvery < 1 || SampleEvery < 1 || CheckpointEvery < 1) throw new ArgumentException("Log, sample and checkpoint intervals must be at least 1.");
    }

    /// <summary>Linear warm-up, then cosine decay to <see cref="FinalLearningRateFraction"/> of the peak.</summary>
    public double LearningRateAt(int step)
    {
        if (step < WarmupSteps) return LearningRate * (step + 1) / WarmupSteps;
        double progress = Steps <= WarmupSteps ? 1 : (double)(step - WarmupSteps) / (Steps - WarmupSteps);
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * Math.Min(progress, 1)));
        return LearningRate * (FinalLearningRateFraction + (1 - FinalLearningRateFraction) * cosine);
    }
}
