using RefineWeb.Engine.Text;
using TorchSharp;

namespace RefineWeb.Engine.Pipelines.Semantic;

/// <summary>
/// Ranks each unknown word's neighbours by the model's own sense of meaning: the alignment model's text embedding of
/// the texts that use the word (its glosses, the captions of emoji that use it), against the embedding of each
/// neighbour as a one-word prompt. The lexicon says which known words are related; the model says which of them it
/// reads closest to the word.
/// </summary>
public static class MeaningIndex
{
    /// <summary>Each further step in the lexicon (a sibling instead of a synonym, a rarer sense) costs this much cosine.</summary>
    public const double DistancePenalty = 0.1;

    /// <summary>Below this (cosine less the penalty) a neighbour is not close enough to offer (set for the built-in model by reading its index).</summary>
    public const double MinimumScore = 0.3;

    public static WordMeanings Build(CascadeModel cascade, IReadOnlyList<WordNeighbourhood> neighbourhoods, int perWord = 3, double minimumScore = MinimumScore)
    {
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (word, ranked) in Rank(cascade, neighbourhoods))
        {
            var kept = ranked.Where(c => c.Score >= minimumScore).Take(perWord).Select(c => c.Word).ToList();
            if (kept.Count > 0) result[word] = kept;
        }
        return new WordMeanings(result);
    }

    /// <summary>Every candidate of every word with its score (cosine less the distance penalty), best first: what <see cref="Build"/> keeps from.</summary>
    public static IEnumerable<(string Word, IReadOnlyList<(string Word, double Score)> Ranked)> Rank(CascadeModel cascade, IReadOnlyList<WordNeighbourhood> neighbourhoods)
    {
        var alignment = cascade.Alignment ?? throw new ArgumentException($"{cascade.Directory} has no alignment model (train it with `refineweb train --stage align`).");
        var texts = neighbourhoods.SelectMany(n => n.Candidates.Select(c => c.Word).Concat(n.Contexts.Select(c => c.Text))).Distinct().ToList();
        if (texts.Count == 0) yield break;
        var embeddings = Embed(cascade, alignment, texts);
        foreach (var neighbourhood in neighbourhoods)
        {
            if (neighbourhood.Contexts.Count == 0 || neighbourhood.Candidates.Count == 0) continue;
            var meaning = new float[embeddings[texts[0]].Length];
            foreach (var context in neighbourhood.Contexts)
            {
                var e = embeddings[context.Text];
                for (int d = 0; d < meaning.Length; d++) meaning[d] += (float)(context.Weight * e[d]);
            }
            double norm = Math.Sqrt(meaning.Sum(v => (double)v * v));
            if (norm == 0) continue;
            yield return (neighbourhood.Word, [.. neighbourhood.Candidates
                .Select(c => (c.Word, c.Distance, Score: Dot(embeddings[c.Word], meaning) / norm - DistancePenalty * (c.Distance - 1)))
                .OrderBy(c => c.Distance > 0).ThenByDescending(c => c.Score).ThenBy(c => c.Word, StringComparer.Ordinal) // the word's own inflections first
                .Select(c => (c.Word, c.Score))]);
        }
    }

    static double Dot(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>Unit text embeddings of each text, in batches, copied to the CPU.</summary>
    static Dictionary<string, float[]> Embed(CascadeModel cascade, Models.AlignmentModel alignment, IReadOnlyList<string> texts)
    {
        const int batch = 1024;
        var embeddings = new Dictionary<string, float[]>(texts.Count, StringComparer.Ordinal);
        using var noGradients = torch.no_grad();
        for (int start = 0; start < texts.Count; start += batch)
        {
            using var scope = torch.NewDisposeScope();
            var slice = texts.Skip(start).Take(batch).ToList();
            var values = alignment.EncodeText(cascade.Tokenize(slice)).cpu().data<float>().ToArray();
            int width = values.Length / slice.Count;
            for (int i = 0; i < slice.Count; i++) embeddings[slice[i]] = values[(i * width)..((i + 1) * width)];
        }
        return embeddings;
    }
}
