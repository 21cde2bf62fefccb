using RefineWeb.Engine.Pipelines.Semantic;
using RefineWeb.Engine.Text;

namespace RefineWeb.Generation;

/// <summary>How well one emphasized phrase shows in a finished image (alignment cosine, -1 to 1).</summary>
public sealed record PhraseScore(string Text, double Weight, double Score);

/// <summary>
/// How well a finished image matches its whole prompt and each emphasized phrase, and its place among the job's
/// candidates (1 = best match: best of N).
/// </summary>
public sealed record ImageScore(double Prompt, IReadOnlyList<PhraseScore> Phrases, int Rank)
{
    /// <summary>
    /// The score in words: the built-in model's matching captions average about 0.67 against its held-out pictures
    /// (model card, R-precision), so 0.55 and up reads as a good match and under 0.35 as a weak one.
    /// </summary>
    public static string Describe(double score) => score >= 0.55 ? "matches well" : score >= 0.35 ? "matches partly" : "matches weakly";

    /// <summary>The score as a share of a bar, 0 at or below 0, full at 1.</summary>
    public static double BarShare(double score) => Math.Clamp(score, 0, 1);

    /// <summary>Scores and ranks one job's images (all made from the same prompt).</summary>
    public static IReadOnlyList<ImageScore> Ranked(IReadOnlyList<AlignmentScores> scores, IReadOnlyList<EmphasizedPhrase> phrases)
    {
        var weights = phrases.Select(p => p.Weight).ToList();
        var order = scores.Select((s, i) => (Combined: s.Combined(weights), Index: i)).OrderByDescending(x => x.Combined).ThenBy(x => x.Index)
            .Select((x, rank) => (x.Index, Rank: rank + 1)).ToDictionary(x => x.Index, x => x.Rank);
        return [.. scores.Select((s, i) => new ImageScore(Rounded(s.Prompt),
            [.. phrases.Select((p, j) => new PhraseScore(p.Text, p.Weight, Rounded(s.Phrases[j])))], order[i]))];
    }

    /// <summary>Four decimals; a score that is not a number reads as 0 (JSON has no NaN: the status would fail to serialize).</summary>
    static double Rounded(double score) => double.IsFinite(score) ? Math.Round(score, 4) : 0;
}
