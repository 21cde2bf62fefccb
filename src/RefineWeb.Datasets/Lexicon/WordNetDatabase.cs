namespace RefineWeb.Datasets.Lexicon;

/// <summary>One WordNet synset: its lemmas (underscores for spaces), its links to other synsets, and its gloss.</summary>
public sealed record WordNetSynset(string Key, IReadOnlyList<string> Lemmas, IReadOnlyList<WordNetLink> Links, string Gloss);

/// <summary>A link of a synset: WordNet's pointer symbol ("@" hypernym, "~" hyponym, "&amp;" similar, ...) and the target synset's key.</summary>
public sealed record WordNetLink(string Symbol, string Target);

/// <summary>
/// The WordNet 3.0 database files as Debian's <c>wordnet-base</c> installs them (/usr/share/wordnet: data.noun,
/// index.noun, ... in the wndb(5) format). Read by hand: no NuGet package served here reads WordNet, and the format
/// is a few space-separated fields per line.
/// </summary>
public sealed class WordNetDatabase
{
    static readonly (string File, char Pos)[] Parts = [("noun", 'n'), ("verb", 'v'), ("adj", 'a'), ("adv", 'r')];

    readonly Dictionary<string, WordNetSynset> synsets;
    readonly Dictionary<string, List<string>> senses;

    WordNetDatabase(Dictionary<string, WordNetSynset> synsets, Dictionary<string, List<string>> senses)
    {
        this.synsets = synsets;
        this.senses = senses;
    }

    /// <summary>Every lemma of the index (lower case, underscores for spaces).</summary>
    public IEnumerable<string> Lemmas => senses.Keys;

    public WordNetSynset Synset(string key) => synsets[key];

    /// <summary>
    /// The synsets a lemma names, commonest sense first within each part of speech (the index's order), the parts
    /// interleaved (first noun, first verb, ..., second noun, ...); empty for a lemma WordNet does not have.
    /// </summary>
    public IReadOnlyList<WordNetSynset> Senses(string lemma) =>
        senses.TryGetValue(lemma, out var keys) ? [.. keys.Select(k => synsets[k])] : [];

    /// <summary>Reads data.* and index.* of the four parts of speech from <paramref name="directory"/>.</summary>
    public static WordNetDatabase Load(string directory)
    {
        var synsets = new Dictionary<string, WordNetSynset>();
        var byPart = new Dictionary<string, List<(char Pos, List<string> Keys)>>();
        foreach (var (file, pos) in Parts)
        {
            var dataPath = Path.Combine(directory, "data." + file);
            var indexPath = Path.Combine(directory, "index." + file);
            if (!File.Exists(dataPath) || !File.Exists(indexPath))
                throw new FileNotFoundException($"WordNet has no data.{file} and index.{file} in {directory} (on Debian: apt-get install wordnet-base; the files are in /usr/share/wordnet).", dataPath);
            foreach (var line in File.ReadLines(dataPath, System.Text.Encoding.Latin1))
                if (ParseSynset(line, pos) is { } synset) synsets[synset.Key] = synset;
            foreach (var line in File.ReadLines(indexPath, System.Text.Encoding.Latin1))
            {
                if (line.StartsWith("  ", StringComparison.Ordinal) || line.Length == 0) continue; // the licence header
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                int pointerCount = int.Parse(fields[3]);
                var keys = fields.Skip(4 + pointerCount + 2).Select(offset => Key(pos, offset)).Where(synsets.ContainsKey).ToList();
                if (!byPart.TryGetValue(fields[0], out var list)) byPart[fields[0]] = list = [];
                list.Add((pos, keys));
            }
        }
        var senses = byPart.ToDictionary(kv => kv.Key, kv => Interleave(kv.Value.Select(p => p.Keys)));
        return new WordNetDatabase(synsets, senses);
    }

    static List<string> Interleave(IEnumerable<List<string>> lists)
    {
        var all = lists.ToList();
        var merged = new List<string>();
        for (int rank = 0; all.Any(l => rank < l.Count); rank++)
            foreach (var list in all)
                if (rank < list.Count) merged.Add(list[rank]);
        return merged;
    }

    /// <summary>A synset's key: its file's part of speech and its byte offset ("n:09303008"); satellites live with adjectives.</summary>
    public static string Key(char pos, string offset) => $"{(pos == 's' ? 'a' : pos)}:{offset}";

    /// <summary>One line of a data file (wndb(5)): offset lex_filenum ss_type w_cnt [word lex_id]... p_cnt [ptr]... [frames] | gloss.</summary>
    internal static WordNetSynset? ParseSynset(string line, char filePos)
    {
        if (line.Length == 0 || line.StartsWith("  ", StringComparison.Ordinal)) return null;
        int bar = line.IndexOf(" | ", StringComparison.Ordinal);
        var head = (bar < 0 ? line : line[..bar]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var gloss = bar < 0 ? "" : line[(bar + 3)..].Trim();
        int wordCount = Convert.ToInt32(head[3], 16);
        var lemmas = new List<string>(wordCount);
        for (int i = 0; i < wordCount; i++)
        {
            var word = head[4 + 2 * i];
            int marker = word.IndexOf('('); // adjectives' syntactic markers: "big(a)"
            lemmas.Add((marker < 0 ? word : word[..marker]).ToLowerInvariant());
        }
        int at = 4 + 2 * wordCount;
        int pointerCount = int.Parse(head[at]);
        var links = new List<WordNetLink>(pointerCount);
        for (int p = 0; p < pointerCount; p++)
        {
            int field = at + 1 + 4 * p;
            links.Add(new WordNetLink(head[field], Key(head[field + 2][0], head[field + 1])));
        }
        return new WordNetSynset(Key(filePos, head[0]), lemmas, links, gloss);
    }
}
