using System.Text.RegularExpressions;

namespace RefineWeb.Engine.Evaluation;

/// <summary>
/// One prompt of the semantic evaluation: a caption, the phrase of it that gets emphasized (at <see cref="Start"/>),
/// and the phrases of the same kind it must beat (other colours, other skin tones, ...).
/// </summary>
public sealed record SemanticCase(string Category, string Prompt, string Phrase, int Start, IReadOnlyList<string> Distractors);

/// <summary>
/// The semantic evaluation's prompts, drawn from the data set's captions: colours, skin tones and who is shown, the
/// attributes emoji captions name most. Deterministic for a seed.
/// </summary>
public static class SemanticCases
{
    public static readonly IReadOnlyDictionary<string, string[]> Categories = new Dictionary<string, string[]>
    {
        ["colour"] = ["red", "orange", "yellow", "green", "blue", "purple", "brown", "black", "white"],
        ["skin tone"] = ["light skin tone", "medium-light skin tone", "medium skin tone", "medium-dark skin tone", "dark skin tone"],
        ["person"] = ["woman", "man", "person"],
    };

    /// <summary>Up to <paramref name="perCategory"/> captions per category that name exactly one of its phrases.</summary>
    public static IReadOnlyList<SemanticCase> FromCaptions(IEnumerable<string> captions, int perCategory, long seed)
    {
        var distinct = captions.Distinct().Order(StringComparer.Ordinal).ToList();
        var cases = new List<SemanticCase>();
        foreach (var (category, phrases) in Categories)
        {
            var found = new List<SemanticCase>();
            foreach (var caption in distinct)
            {
                var hits = phrases.Select(p => (Phrase: p, At: Find(caption, p))).Where(h => h.At >= 0).ToList();
                if (hits.Count == 1)
                    found.Add(new SemanticCase(category, caption, hits[0].Phrase, hits[0].At, [.. phrases.Where(p => p != hits[0].Phrase)]));
            }
            var shuffled = found.ToArray();
            new Random(unchecked((int)seed)).Shuffle(shuffled);
            cases.AddRange(shuffled.Take(perCategory));
        }
        return cases;
    }

    /// <summary>Where the phrase stands as whole words (not "light skin tone" inside "medium-light skin tone"), or -1.</summary>
    public static int Find(string caption, string phrase)
    {
        var match = Regex.Match(caption, $@"(?<![\p{{L}}\p{{N}}'-]){Regex.Escape(phrase)}(?![\p{{L}}\p{{N}}'-])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        return match.Success ? match.Index : -1;
    }
}
