namespace RefineWeb.Engine.Text;

/// <summary>How an unknown word's suggestions were found.</summary>
public enum SuggestedBy
{
    /// <summary>No known word is close in meaning or in spelling.</summary>
    Nothing,
    /// <summary>Known words close in meaning (<see cref="WordMeanings"/>).</summary>
    Meaning,
    /// <summary>Known words spelled alike: the fallback, for typos and words no lexicon has.</summary>
    Spelling,
}

/// <summary>A word of a prompt the model has no id for (it reads it as "unknown"), and known words close to it.</summary>
public sealed record UnknownWord(string Word, IReadOnlyList<string> Suggestions, SuggestedBy By)
{
    /// <summary>What to tell a person, once, in words: the API's warning and the CLI's line.</summary>
    public string Message => By switch
    {
        SuggestedBy.Meaning => $"'{Word}' is not a word the model knows, so it is ignored; close in meaning: {Quoted}.",
        SuggestedBy.Spelling => $"'{Word}' is not a word the model knows, so it is ignored; did you mean {Quoted}?",
        _ => $"'{Word}' is not a word the model knows, so it is ignored; no word it knows is close in meaning or spelling.",
    };

    string Quoted => string.Join(", ", Suggestions.Select(s => $"'{s}'"));
}

/// <summary>
/// What a prompt asks of the model's vocabulary: words it does not know (with known words close in meaning where the
/// model's <see cref="WordMeanings"/> has them, else the nearest by edit distance, commoner words first), and
/// completions of a word being typed. A closed word vocabulary drops unknown
/// words silently; this is how the page, the API and the CLI say so.
/// </summary>
public static class VocabularyCheck
{
    /// <summary>The prompt's unknown words, each once, in the order they appear.</summary>
    public static IReadOnlyList<UnknownWord> UnknownWords(this WordTokenizer tokenizer, string text, WordMeanings meanings, int suggestions = 3) =>
        [.. WordTokenizer.SplitWords(text).Distinct().Where(w => !tokenizer.Knows(w)).Select(w => tokenizer.Suggest(w, meanings, suggestions))];

    /// <summary>Known words for an unknown one: by meaning where the model's index has it, else by spelling, else none.</summary>
    public static UnknownWord Suggest(this WordTokenizer tokenizer, string word, WordMeanings meanings, int suggestions = 3)
    {
        var byMeaning = meanings.Of(word).Where(tokenizer.Knows).Take(suggestions).ToList();
        if (byMeaning.Count > 0) return new UnknownWord(word, byMeaning, SuggestedBy.Meaning);
        var bySpelling = tokenizer.Nearest(word, suggestions);
        return new UnknownWord(word, bySpelling, bySpelling.Count > 0 ? SuggestedBy.Spelling : SuggestedBy.Nothing);
    }

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
