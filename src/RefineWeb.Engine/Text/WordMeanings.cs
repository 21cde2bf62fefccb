using System.Text;

namespace RefineWeb.Engine.Text;

/// <summary>
/// For words the model does not know, the known words closest in meaning, closest first ("hill" -> mountain): built
/// by <c>refineweb model index-meanings</c> from WordNet and the emoji's CLDR keywords, ranked by the alignment
/// model's text embedding, and shipped in the model folder as <see cref="FileName"/>. Inflected forms ("hills")
/// are looked up by their base form.
/// </summary>
public sealed class WordMeanings
{
    public const string FileName = "word-meanings.tsv";
    const string Header = "# word\tknown words close in meaning, closest first (written by refineweb model index-meanings)";

    /// <summary>A model folder without the file: no word has suggestions by meaning.</summary>
    public static readonly WordMeanings None = new(new Dictionary<string, IReadOnlyList<string>>());

    readonly IReadOnlyDictionary<string, IReadOnlyList<string>> neighbours;

    public WordMeanings(IReadOnlyDictionary<string, IReadOnlyList<string>> neighbours) => this.neighbours = neighbours;

    /// <summary>How many unknown words have neighbours.</summary>
    public int Count => neighbours.Count;

    /// <summary>Known words close in meaning to <paramref name="word"/> (or to its base form), closest first; empty when none.</summary>
    public IReadOnlyList<string> Of(string word)
    {
        if (neighbours.TryGetValue(word, out var found)) return found;
        foreach (var baseForm in BaseForms(word))
            if (neighbours.TryGetValue(baseForm, out found)) return found;
        return [];
    }

    /// <summary>WordNet's detachment rules (morphy): the forms an inflected noun, verb or adjective may come from.</summary>
    public static IEnumerable<string> BaseForms(string word)
    {
        (string Suffix, string Ending)[] rules =
        [
            ("ies", "y"), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("s", ""),
            ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""), ("er", ""), ("est", ""), ("er", "e"), ("est", "e"),
        ];
        foreach (var (suffix, ending) in rules)
            if (word.Length > suffix.Length + 1 && word.EndsWith(suffix, StringComparison.Ordinal))
                yield return word[..^suffix.Length] + ending;
    }

    /// <summary>Reads the model folder's file; <see cref="None"/> when it has none. A malformed line raises an error naming the file and line.</summary>
    public static WordMeanings Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return None;
        var neighbours = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        int number = 0;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            number++;
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split('\t');
            var words = parts.Length == 2 ? parts[1].Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
            if (parts[0].Length == 0 || words.Length == 0)
                throw new InvalidDataException($"{path}, line {number}: expected a word, a tab and the known words close to it, separated by spaces.");
            neighbours[parts[0]] = words;
        }
        return new WordMeanings(neighbours);
    }

    /// <summary>Writes the file into the model folder, one word per line in ordinal order (so a rebuild diffs cleanly).</summary>
    public void Save(string directory)
    {
        var lines = neighbours.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}\t{string.Join(' ', kv.Value)}");
        File.WriteAllLines(Path.Combine(directory, FileName), lines.Prepend(Header), new UTF8Encoding(false));
    }
}
