namespace RefineWeb.Engine.Text;

/// <summary>
/// The edits the prompt's emphasis bar makes, on the parsed prompt: click a word to emphasize it or to take its
/// phrase's emphasis off, join a word to the phrase beside it, set or remove a phrase's weight, and swap an unknown
/// word for a suggested one (the only edit that changes the words; every phrase keeps its weight). Write the result
/// back with <see cref="PromptEmphasis.Format"/>.
/// </summary>
public static class EmphasisEdits
{
    public const double DefaultWeight = 1.5;

    /// <summary>
    /// The word at [start, start + length): inside a phrase, that phrase loses its emphasis; otherwise it becomes a
    /// phrase of its own, or with <paramref name="join"/> extends the phrase next to it (only spaces or punctuation between).
    /// </summary>
    public static EmphasizedPrompt ToggleWord(EmphasizedPrompt prompt, int start, int length, bool join = false)
    {
        int end = start + length;
        var containing = prompt.Phrases.Where(p => p.Start < end && start < End(p)).OrderBy(p => p.Text.Length).FirstOrDefault();
        if (containing is not null) return With(prompt, prompt.Phrases.Where(p => p != containing));

        var outermost = prompt.Phrases.Where(p => !prompt.Phrases.Any(o => o != p && o.Start <= p.Start && End(o) >= End(p) && o.Text.Length > p.Text.Length)).ToList();
        if (join)
        {
            var before = outermost.Where(p => End(p) <= start && OnlyGap(prompt.Text, End(p), start)).MaxBy(End);
            var after = outermost.Where(p => p.Start >= end && OnlyGap(prompt.Text, end, p.Start)).MinBy(p => p.Start);
            if ((before ?? after) is { } neighbour)
            {
                int from = Math.Min(neighbour.Start, start), to = Math.Max(End(neighbour), end);
                // The phrases inside the neighbour stay; the neighbour itself grows.
                return With(prompt, prompt.Phrases.Where(p => p != neighbour)
                    .Append(new EmphasizedPhrase(prompt.Text[from..to], neighbour.Weight, from)));
            }
        }
        return With(prompt, prompt.Phrases.Append(new EmphasizedPhrase(prompt.Text[start..end], DefaultWeight, start)));
    }

    public static EmphasizedPrompt SetWeight(EmphasizedPrompt prompt, EmphasizedPhrase phrase, double weight) =>
        With(prompt, prompt.Phrases.Select(p => p == phrase
            ? p with { Weight = Math.Round(Math.Clamp(weight, PromptEmphasis.MinWeight, PromptEmphasis.MaxWeight), 2) }
            : p));

    public static EmphasizedPrompt Remove(EmphasizedPrompt prompt, EmphasizedPhrase phrase) =>
        With(prompt, prompt.Phrases.Where(p => p != phrase));

    /// <summary>
    /// The word at [start, start + length) replaced by <paramref name="replacement"/>: phrases containing it keep their
    /// weight and take the new word, phrases after it move.
    /// </summary>
    public static EmphasizedPrompt ReplaceWord(EmphasizedPrompt prompt, int start, int length, string replacement)
    {
        int end = start + length, shift = replacement.Length - length;
        var text = prompt.Text[..start] + replacement + prompt.Text[end..];
        var phrases = prompt.Phrases.Select(p =>
        {
            if (End(p) <= start) return p;
            if (p.Start >= end) return p with { Start = p.Start + shift };
            int newEnd = End(p) + shift;
            return p with { Text = text[p.Start..newEnd] };
        });
        return With(prompt with { Text = text }, phrases);
    }

    static int End(EmphasizedPhrase p) => p.Start + p.Text.Length;

    static bool OnlyGap(string text, int from, int to) => text[from..to].All(c => !char.IsLetterOrDigit(c));

    static EmphasizedPrompt With(EmphasizedPrompt prompt, IEnumerable<EmphasizedPhrase> phrases) =>
        prompt with { Phrases = [.. phrases.OrderBy(p => p.Start).ThenByDescending(p => p.Text.Length)] };
}
