using System.Text;
using System.Text.RegularExpressions;

namespace RefineWeb.Engine.Text;

/// <summary>
/// A deterministic word-level tokenizer for short captions: lower-cases, splits into words (letters and digits,
/// apostrophes kept inside words) and maps each word to an id from a vocabulary file, one word per line, line
/// number = id. Ids 0-3 are the special tokens. Captions here are CLDR names and keywords: a closed, small vocabulary
/// where whole words carry the meaning, so no sub-word merges are needed.
/// </summary>
public sealed partial class WordTokenizer
{
    public const string PadToken = "<pad>";
    public const string UnknownToken = "<unk>";
    public const string StartToken = "<s>";
    public const string EndToken = "</s>";
    public const int PadId = 0, UnknownId = 1, StartId = 2, EndId = 3;

    readonly Dictionary<string, int> ids;
    readonly string[] words;

    public int MaxLength { get; }
    public int VocabularySize => words.Length;
    public IReadOnlyList<string> Words => words;

    public WordTokenizer(IReadOnlyList<string> vocabulary, int maxLength = 24)
    {
        if (vocabulary.Count < 4 || vocabulary[0] != PadToken || vocabulary[1] != UnknownToken
            || vocabulary[2] != StartToken || vocabulary[3] != EndToken)
            throw new FormatException($"A vocabulary starts with {PadToken}, {UnknownToken}, {StartToken}, {EndToken} on its first four lines.");
        if (maxLength < 3) throw new ArgumentOutOfRangeException(nameof(maxLength), "Room for at least one word is needed.");
        words = [.. vocabulary];
        ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < words.Length; i++)
            if (!ids.TryAdd(words[i], i))
                throw new FormatException($"The vocabulary lists '{words[i]}' twice (lines {ids[words[i]] + 1} and {i + 1}).");
        MaxLength = maxLength;
    }

    /// <summary>Reads a vocabulary file (UTF-8, one word per line).</summary>
    public static WordTokenizer Load(string path, int maxLength = 24)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Tokenizer vocabulary not found: {path}", path);
        var lines = File.ReadAllLines(path, Encoding.UTF8).Where(l => l.Length > 0).ToList();
        try
        {
            return new WordTokenizer(lines, maxLength);
        }
        catch (FormatException e)
        {
            throw new FormatException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Builds a vocabulary from a corpus: specials, then words seen at least <paramref name="minCount"/> times, by frequency then alphabet.</summary>
    public static IReadOnlyList<string> BuildVocabulary(IEnumerable<string> texts, int minCount = 1)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (var word in SplitWords(text))
                counts[word] = counts.GetValueOrDefault(word) + 1;
        return [PadToken, UnknownToken, StartToken, EndToken,
            .. counts.Where(kv => kv.Value >= minCount)
                .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => kv.Key)];
    }

    public static void SaveVocabulary(IReadOnlyList<string> vocabulary, string path) =>
        File.WriteAllLines(path, vocabulary, new UTF8Encoding(false));

    /// <summary>Lower-cased words of a text, as the tokenizer sees them.</summary>
    public static IEnumerable<string> SplitWords(string text) =>
        WordPattern().Matches(text.ToLowerInvariant().Normalize(NormalizationForm.FormKC)).Select(m => m.Value);

    /// <summary>
    /// Where each word of <see cref="SplitWords"/> stands in the text (start, length), for mapping emphasis onto tokens.
    /// Lower-casing keeps positions; compatibility normalization could move them, so spans are taken before it.
    /// </summary>
    public static IReadOnlyList<(int Start, int Length)> WordSpans(string text) =>
        [.. WordPattern().Matches(text.ToLowerInvariant()).Select(m => (m.Index, m.Length))];

    /// <summary>Token ids: start, words (truncated to fit), end, then padding to <see cref="MaxLength"/>.</summary>
    public TokenizedText Encode(string text)
    {
        var tokens = new int[MaxLength];
        var wordsInText = SplitWords(text).Take(MaxLength - 2).ToList();
        tokens[0] = StartId;
        for (int i = 0; i < wordsInText.Count; i++)
            tokens[i + 1] = ids.GetValueOrDefault(wordsInText[i], UnknownId);
        tokens[wordsInText.Count + 1] = EndId;
        return new TokenizedText(tokens, wordsInText.Count + 2, wordsInText);
    }

    /// <summary>Whether the word (as <see cref="SplitWords"/> gives it) has an id of its own.</summary>
    public bool Knows(string word) => ids.TryGetValue(word, out int id) && id > EndId;

    /// <summary>The rank of a known word (the vocabulary is ordered by frequency in the captions: lower is commoner).</summary>
    public int RankOf(string word) => ids.GetValueOrDefault(word, int.MaxValue);

    public string Decode(IEnumerable<int> tokenIds) =>
        string.Join(' ', tokenIds.Where(id => id > EndId).Select(id => id < words.Length ? words[id] : UnknownToken));

    [GeneratedRegex(@"[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*")]
    private static partial Regex WordPattern();
}

/// <summary>Ids padded to the tokenizer's length; <see cref="Length"/> counts start and end tokens.</summary>
public sealed record TokenizedText(int[] Ids, int Length, IReadOnlyList<string> Words);
