using RefineWeb.Datasets.Emoji;
using RefineWeb.Datasets.Lexicon;
using RefineWeb.Engine.Text;

namespace RefineWeb.Cli.Meanings;

/// <summary>
/// Builds each unknown word's <see cref="WordNeighbourhood"/> from WordNet (synonyms, hypernyms, hyponyms and siblings
/// of its commonest senses; glosses as contexts) and from the emoji whose CLDR label or keywords use it.
/// </summary>
public static class WordNetNeighbourhoods
{
    /// <summary>WordNet's links that stay close in meaning: hypernym, hyponym, similar, derivation, also-see, attribute, part and member, pertainym, participle.</summary>
    static readonly HashSet<string> NearLinks = ["@", "~", "&", "+", "^", "=", "%p", "#p", "%m", "#m", "%s", "#s", "\\", "<"];

    /// <summary>Words that carry no meaning of their own in a caption or gloss.</summary>
    static readonly HashSet<string> FunctionWords =
    [
        "a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "with", "by", "from", "as", "is", "are", "be", "it",
        "its", "that", "this", "which", "who", "used", "use", "usually", "especially", "one", "any", "some", "something", "etc",
        "into", "out", "up", "not", "no", "but", "than", "very", "more", "most", "having", "has", "have", "made", "make", "other",
    ];

    /// <summary>Each rarer sense adds this to its neighbours' distance: the common sense's siblings weigh as much as the next sense's synonyms ("hill" -> mountain before a baseball mound).</summary>
    public const double RarerSensePenalty = 1.0;

    /// <summary>Senses beyond this many are too rare to suggest from.</summary>
    public const int SensesRead = 6;

    /// <summary>
    /// The neighbourhood of <paramref name="word"/>: its WordNet senses (commonest first: synonyms, hypernyms, hyponyms
    /// and siblings that the model knows; the gloss as a context) and the emoji whose CLDR label or keywords use it.
    /// </summary>
    public static WordNeighbourhood Of(string word, WordNetDatabase wordNet, ILookup<string, IReadOnlyList<string>> emojiTexts, Func<string, bool> known)
    {
        var candidates = new Dictionary<string, double>();
        var contexts = new List<MeaningContext>();
        void Add(IEnumerable<string> lemmas, double distance)
        {
            foreach (var lemma in lemmas)
                if (lemma != word && !FunctionWords.Contains(lemma) && known(lemma))
                    candidates[lemma] = Math.Min(candidates.GetValueOrDefault(lemma, double.MaxValue), distance);
        }
        string KnownWords(IEnumerable<string> texts) =>
            string.Join(' ', texts.SelectMany(WordTokenizer.SplitWords).Where(w => w != word && !FunctionWords.Contains(w) && known(w)).Distinct()); // the tokenizer keeps what fits

        var senses = wordNet.Senses(word).Take(SensesRead).ToList();
        for (int rank = 0; rank < senses.Count; rank++)
        {
            var sense = senses[rank];
            double offset = RarerSensePenalty * rank;
            var near = new List<string>(sense.Lemmas);
            var siblings = new List<string>();
            foreach (var link in sense.Links.Where(l => NearLinks.Contains(l.Symbol)))
            {
                var target = wordNet.Synset(link.Target);
                near.AddRange(target.Lemmas);
                if (link.Symbol != "@" || rank > 0) continue; // siblings of rarer senses are mostly noise ("hill" -> machine)
                foreach (var sibling in target.Links.Where(l => l.Symbol is "~" or "@"))
                    siblings.AddRange(wordNet.Synset(sibling.Target).Lemmas);
            }
            Add(near, 1 + offset);
            Add(siblings, 2 + offset);
            // The sense as the model can read it: the related words it knows and the gloss's definition (not its examples).
            var definition = sense.Gloss.Split(';')[0];
            var text = KnownWords([.. near.Concat(siblings).Select(l => l.Replace('_', ' ')), definition]);
            if (text.Length > 0) contexts.Add(new MeaningContext(text, 1.0 / ((rank + 1) * (rank + 1)))); // the common sense dominates the meaning
        }
        foreach (var texts in emojiTexts[word])
        {
            Add(texts.SelectMany(WordTokenizer.SplitWords), 1);
            var text = KnownWords(texts);
            if (text.Length > 0) contexts.Add(new MeaningContext(text, 1));
        }
        // The word's own inflections the model knows ("grape" -> grapes) are the closest of all.
        foreach (var form in candidates.Keys.Where(c => WordMeanings.BaseForms(c).Contains(word) || WordMeanings.BaseForms(word).Contains(c)).ToList())
            candidates[form] = 0;
        return new WordNeighbourhood(word, contexts, [.. candidates.Select(kv => new MeaningCandidate(kv.Key, kv.Value))]);
    }

    /// <summary>Each emoji's CLDR label and keywords, looked up by every word they use (built once: the index asks it for every word).</summary>
    public static ILookup<string, IReadOnlyList<string>> EmojiTexts(IReadOnlyList<EmojiEntry> emoji) =>
        emoji.Select(e => (IReadOnlyList<string>)[e.Label, .. e.Keywords])
            .SelectMany(texts => texts.SelectMany(WordTokenizer.SplitWords).Distinct().Select(word => (Word: word, Texts: texts)))
            .ToLookup(x => x.Word, x => x.Texts);

    /// <summary>
    /// The words worth indexing: WordNet's one-word lemmas and the CLDR words that the model does not know (lower case,
    /// one word as the tokenizer splits it).
    /// </summary>
    public static IEnumerable<string> UnknownWords(WordNetDatabase wordNet, IReadOnlyList<EmojiEntry> emoji, Func<string, bool> known) =>
        wordNet.Lemmas.Concat(emoji.SelectMany(e => e.Keywords.Prepend(e.Label)).SelectMany(WordTokenizer.SplitWords))
            .Where(w => WordTokenizer.SplitWords(w).ToList() is [var only] && only == w && !known(w))
            .Distinct().Order(StringComparer.Ordinal);
}
