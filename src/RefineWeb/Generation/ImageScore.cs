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
    /// <summary>Scores and ranks one job's images (all made from the same prompt).</summary>
    public static IReadOnlyList<ImageScore> Ranked(IReadOnlyList<AlignmentScores> scores, IReadOnlyList<EmphasizedPhrase> phrases)
    {
        var weights = phrases.Select(p => p.Weight).ToList();
        var order = scores.Select((s, i) => (Combined: s.Combined(weights), Index: i)).OrderByDescending(x => x.Combined).ThenBy(x => x.Index)
            .Select((x, rank) => (x.Index, Rank: rank + 1)).ToDictionary(x => x.Index, x => x.Rank);
        return [.. scores.Select((s, i) => new ImageScore(Math.Round(s.Prompt, 4),
            [.. phrases.Select((p, j) => new PhraseScore(p.Text, p.Weight, Math.Round(s.Phrases[j], 4)))], order[i]))];
    }
}
