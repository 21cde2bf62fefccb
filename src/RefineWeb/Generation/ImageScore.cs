using RefineWeb.Engine.Pipelines.Semantic;
using RefineWeb.Engine.Text;

namespace RefineWeb.Generation;

/// <summary>How well one emphasized phrase shows in a finished image (alignment cosine, -1 to 1).</summary>
public sealed record PhraseScore(string Text, double Weight, double Score);

/// <summary>How well one region of a layout shows its own prompt (alignment cosine of what the region shows, -1 to 1).</summary>
public sealed record RegionScore(string Prompt, double Score);

/// <summary>
/// How well a finished image matches its whole prompt and each emphasized phrase, and its place among the job's
/// candidates (1 = best match: best of N); for a layout, each region's own score too (they do not rank).
/// </summary>
public sealed record ImageScore(double Prompt, IReadOnlyList<PhraseScore> Phrases, int Rank, IReadOnlyList<RegionScore>? Regions = null)
{
    /// <summary>What ranks a candidate (as <see cref="Ranked"/> does): the prompt's score plus each phrase's, weighted by its emphasis.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double Combined => Prompt + Phrases.Sum(p => (p.Weight - 1) * p.Score);

    /// <summary>
    /// How each of a job's candidates places, in words, where the places mean something: null for all when they are
    /// one image, or all within <paramref name="meaningful"/> of each other (the gap between two equally right
    /// pictures: a ranking would be noise); else "Best match" for the first, "about as good" for those within that
    /// gap of it, and "#N" for the rest.
    /// </summary>
    public static IReadOnlyList<string?> Places(IReadOnlyList<ImageScore> scores, double meaningful)
    {
        if (scores.Count < 2) return [.. scores.Select(_ => (string?)null)];
        double best = scores.Max(s => s.Combined), worst = scores.Min(s => s.Combined);
        if (best - worst <= meaningful) return [.. scores.Select(_ => (string?)null)];
        return [.. scores.Select(s => s.Rank == 1 ? "Best match" : best - s.Combined <= meaningful ? "about as good" : $"#{s.Rank}")];
    }

    /// <summary>The score as a share of a bar, 0 at or below 0, full at 1.</summary>
    public static double BarShare(double score) => Math.Clamp(score, 0, 1);

    /// <summary>Scores and ranks one job's images (all made from the same prompt; <paramref name="regionPrompts"/>: its layout's, in order).</summary>
    public static IReadOnlyList<ImageScore> Ranked(IReadOnlyList<AlignmentScores> scores, IReadOnlyList<EmphasizedPhrase> phrases, IReadOnlyList<string>? regionPrompts = null)
    {
        var weights = phrases.Select(p => p.Weight).ToList();
        var order = scores.Select((s, i) => (Combined: s.Combined(weights), Index: i)).OrderByDescending(x => x.Combined).ThenBy(x => x.Index)
            .Select((x, rank) => (x.Index, Rank: rank + 1)).ToDictionary(x => x.Index, x => x.Rank);
        return [.. scores.Select((s, i) => new ImageScore(Rounded(s.Prompt),
            [.. phrases.Select((p, j) => new PhraseScore(p.Text, p.Weight, Rounded(s.Phrases[j])))], order[i],
            s.Regions is { } regions && regionPrompts is not null ? [.. regions.Zip(regionPrompts, (score, prompt) => new RegionScore(prompt, Rounded(score)))] : null))];
    }

    /// <summary>Four decimals; a score that is not a number reads as 0 (JSON has no NaN: the status would fail to serialize).</summary>
    static double Rounded(double score) => double.IsFinite(score) ? Math.Round(score, 4) : 0;
}
