namespace RefineWeb.Engine.Text;

/// <summary>
/// Where emphasized phrases fall in the tokenizer's output: one weight per token position (start and end tokens and
/// padding keep 1), the weight of the innermost phrase that overlaps each word.
/// </summary>
public static class TokenEmphasis
{
    /// <param name="text">The plain prompt (emphasis syntax taken out) that the tokenizer reads.</param>
    /// <param name="phrases">Phrases with their start in <paramref name="text"/>, as <see cref="PromptEmphasis.Parse"/> gives them.</param>
    public static float[] Weights(WordTokenizer tokenizer, string text, IReadOnlyList<EmphasizedPhrase> phrases)
    {
        var weights = Enumerable.Repeat(1f, tokenizer.MaxLength).ToArray();
        var words = WordTokenizer.WordSpans(text);
        for (int w = 0; w < words.Count && w + 1 < tokenizer.MaxLength - 1; w++)
        {
            var (start, length) = words[w];
            var phrase = phrases
                .Where(p => p.Start < start + length && start < p.Start + p.Text.Length)
                .OrderBy(p => p.Text.Length)
                .FirstOrDefault();
            if (phrase is not null) weights[w + 1] = (float)phrase.Weight;
        }
        return weights;
    }
}
