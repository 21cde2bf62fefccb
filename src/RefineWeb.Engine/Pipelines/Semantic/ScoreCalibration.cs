using System.Text.Json;

namespace RefineWeb.Engine.Pipelines.Semantic;

/// <summary>
/// What an alignment score means for this model, measured on its validation pictures: how high a caption that does
/// not fit the picture scores (<see cref="WellAtLeast"/>: only 1 in 100 wrong captions scores that high;
/// <see cref="PartlyAtLeast"/>: 1 in 10), and how far apart two right pictures of one thing score
/// (<see cref="MeaningfulDifference"/>: the median gap of one emoji drawn in two styles), below which a
/// ranking of candidates says nothing. Written by <c>refineweb model calibrate-scores</c> into the model folder.
/// </summary>
public sealed record ScoreCalibration
{
    public const string FileName = "score-calibration.json";

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public required double WellAtLeast { get; init; }
    public required double PartlyAtLeast { get; init; }
    public required double MeaningfulDifference { get; init; }
    /// <summary>How it was measured: pictures, true and wrong caption pairs, and the share of true captions at each level.</summary>
    public required int Pictures { get; init; }
    public required int WrongPairs { get; init; }
    public required double TrueWell { get; init; }
    public required double TruePartly { get; init; }

    /// <summary>The score in words a person can trust.</summary>
    public string Describe(double score) => score >= WellAtLeast ? "matches well" : score >= PartlyAtLeast ? "matches partly" : "matches weakly";

    /// <summary>
    /// Thresholds from the scores of pictures with their own caption (<paramref name="trueScores"/>), with captions of
    /// other pictures (<paramref name="wrongScores"/>), and the score gaps between two right pictures of one thing
    /// (<paramref name="sameThingGaps"/>).
    /// </summary>
    public static ScoreCalibration Compute(IReadOnlyList<double> trueScores, IReadOnlyList<double> wrongScores, IReadOnlyList<double> sameThingGaps)
    {
        if (trueScores.Count == 0 || wrongScores.Count == 0) throw new ArgumentException("Calibrating needs true and wrong caption scores.");
        var wrong = wrongScores.Order().ToList();
        double well = Quantile(wrong, 0.99), partly = Quantile(wrong, 0.90);
        var gaps = sameThingGaps.Select(Math.Abs).Order().ToList();
        return new ScoreCalibration
        {
            WellAtLeast = Math.Round(well, 4), PartlyAtLeast = Math.Round(partly, 4),
            MeaningfulDifference = Math.Round(gaps.Count > 0 ? Quantile(gaps, 0.5) : 0, 4),
            Pictures = trueScores.Count, WrongPairs = wrongScores.Count,
            TrueWell = Math.Round(trueScores.Count(s => s >= well) / (double)trueScores.Count, 4),
            TruePartly = Math.Round(trueScores.Count(s => s >= partly) / (double)trueScores.Count, 4),
        };
    }

    /// <summary>The value below which a share <paramref name="q"/> of the sorted values lie (nearest rank).</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    public void Save(string directory) => File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, Json));

    /// <summary>The model folder's calibration, or null when it has none (the page then shows numbers without words).</summary>
    public static ScoreCalibration? Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<ScoreCalibration>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a score calibration: {e.Message}", e);
        }
    }
}
