namespace RefineWeb.Engine.Evaluation;

/// <summary>
/// R-precision of one caption set: how often the alignment model ranks the true caption first among distractors.
/// <see cref="Judge"/>: the folder whose alignment model ranked (null: the evaluated model's own); <see cref="BaseSteps"/>:
/// the base stage's steps (null: its default).
/// </summary>
public sealed record RPrecisionResult(string Split, int Prompts, int Distractors, double Top1, double MeanTrueSimilarity, string? Judge = null, int? BaseSteps = null)
{
    /// <summary>The base's DeepCache interval when measured with it (a full pass every that many steps); null: off.</summary>
    public int? DeepCache { get; init; }
}

/// <summary>
/// PSNR / SSIM of one upsampling path against the ground truth, beside bicubic upsampling of the same input.
/// <see cref="EdgeFidelity"/>: the output's mean gradient magnitude over the truth's (1 = as sharp; below 1 = blurred);
/// <see cref="Truth"/>: which pictures were the ground truth (the 64 px images, or the vector art).
/// </summary>
public sealed record FidelityResult(string Path, int FromResolution, int ToResolution, int Images,
    double Psnr, double Ssim, double BicubicPsnr, double BicubicSsim)
{
    public double PsnrGain => Psnr - BicubicPsnr;
    public double SsimGain => Ssim - BicubicSsim;
    public double? EdgeFidelity { get; init; }
    public double? BicubicEdgeFidelity { get; init; }
    public string? Truth { get; init; }
}

/// <summary>
/// Wall-clock figures of default generation on this machine: one image through every stage (at
/// <see cref="Resolution"/> px), and, measured in the same run, one image stopped at each smaller stage size listed in
/// <see cref="MedianImageMsByResolution"/> (the 64 px image of the three-stage model, for comparison).
/// </summary>
public sealed record SpeedResult(int Runs, int Resolution, double MedianImageMs, double MedianFirstPreviewMs, IReadOnlyDictionary<string, double> MedianStepMsByStage,
    IReadOnlyDictionary<int, double> MedianImageMsByResolution, string Device, int Threads);

/// <summary>Everything <c>refineweb eval</c> measures, as written to its JSON file.</summary>
public sealed record EvaluationReport(string Model, DateTimeOffset MeasuredAt, IReadOnlyList<RPrecisionResult> Alignment,
    IReadOnlyList<FidelityResult> Fidelity, SpeedResult? Speed);
