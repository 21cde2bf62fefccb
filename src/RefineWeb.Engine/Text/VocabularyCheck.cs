namespace RefineWeb.Engine.Text;

/// <summary>A word of a prompt the model has no id for (it reads it as "unknown"), and known words close to it.</summary>
public sealed record UnknownWord(string Word, IReadOnlyList<string> Suggestions)
{
    /// <summary>What to tell a person, once, in words: the API's warning and the CLI's line.</summary>
    public string Message => Suggestions.Count > 0
        ? $"'{Word}' is not a word the model knows, so it is ignored; did you mean {string.Join(", ", Suggestions.Select(s => $"'{s}'"))}?"
        : $"'{Word}' is not a word the model knows, so it is ignored.";
}

/// <summary>
/// What a prompt asks of the model's vocabulary: words it does not know (with the nearest known ones, by edit
/// distance, commoner words first), and completions of a word being typed. A closed word vocabulary drops unknown
/// words silently; this is how the page, the API and the CLI say so.
/// </summary>
public static class VocabularyCheck
{
    /// <summary>The prompt's unknown words, each once, in the order they appear.</summary>
    public static IReadOnlyList<UnknownWord> UnknownWords(this WordTokenizer tokenizer, string text, int suggestions = 3) =>
        [.. WordTokenizer.SplitWords(text).Distinct().Where(w => !tokenizer.Knows(w)).Select(w => new UnknownWord(w, tokenizer.Nearest(w, suggestions)))];

    /// <summary>
    /// Known words at the smallest edit distance from <paramref name="word"/> (at most a third of its length, and at
    /// least 1), commoner first; empty when nothing is that close ("qwzx" has no near neighbour).
    /// </summary>
    public static IReadOnlyList<string> Nearest(this WordTokenizer tokenizer, string word, int count = 3)
    {
        int limit = Math.Max(1, word.Length / 3);
        return [.. tokenizer.Words.Skip(WordTokenizer.EndId + 1)
            .Where(candidate => Math.Abs(candidate.Length - word.Length) <= limit)
            .Select(candidate => (Word: candidate, Distance: EditDistance(word, candidate, limit)))
            .Where(c => c.Distance <= limit)
            .OrderBy(c => c.Distance).ThenBy(c => tokenizer.RankOf(c.Word))
            .Take(count).Select(c => c.Word)];
    }

    /// <summary>Known words that start with <paramref name="prefix"/> (lower-cased), commoner first.</summary>
    public static IReadOnlyList<string> Complete(this WordTokenizer tokenizer, string prefix, int count = 8)
    {
        var start = prefix.ToLowerInvariant();
        if (start.Length == 0) return [];
        return [.. tokenizer.Words.Skip(WordTokenizer.EndId + 1).Where(w => w.StartsWith(start, StringComparison.Ordinal) && w != start).Take(count)];
    }

    /// <summary>Levenshtein distance, stopping early once every path exceeds <paramref name="limit"/> (then limit + 1).</summary>
    public static int EditDistance(string a, string b, int limit = int.MaxValue - 1)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            int best = current[0];
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                best = Math.Min(best, current[j]);
            }
            if (best > limit) return limit + 1;
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
