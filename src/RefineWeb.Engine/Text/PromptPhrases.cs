using System.Text.RegularExpressions;

namespace RefineWeb.Engine.Text;

/// <summary>
/// The things a plain prompt names, each with where it starts: "a red heart and a blue star on the left" gives
/// "red heart" and "blue star". A small rule set (no parser is served for this): split at commas and at the words
/// that join or place things, then drop articles and counting words in front. Every phrase is an
/// <see cref="EmphasizedPhrase"/> of weight 1, so the emphasis machinery can find its tokens.
/// </summary>
public static partial class PromptPhrases
{
    public static IReadOnlyList<EmphasizedPhrase> Of(string plainPrompt)
    {
        var phrases = new List<EmphasizedPhrase>();
        int start = 0;
        foreach (Match? separator in Separators().Matches(plainPrompt).Append(null))
        {
            int end = separator?.Index ?? plainPrompt.Length;
            if (Trimmed(plainPrompt, start, end) is { } phrase) phrases.Add(phrase);
            if (separator is not null) start = separator.Index + separator.Length;
        }
        return phrases;
    }

    static EmphasizedPhrase? Trimmed(string text, int start, int end)
    {
        while (start < end && !char.IsLetterOrDigit(text[start])) start++;
        while (end > start && !char.IsLetterOrDigit(text[end - 1])) end--;
        if (Leading().Match(text, start, end - start) is { Success: true } lead) start += lead.Length;
        return end > start ? new EmphasizedPhrase(text[start..end], 1, start) : null;
    }

    /// <summary>Where one thing ends and the next begins: a comma or semicolon, "and", "with", or a word that places it.</summary>
    [GeneratedRegex(@"[,;]|\s+(?:and|with|next\s+to|beside|besides|on\s+the\s+(?:left|right|top|bottom)(?:\s+of)?|(?:to\s+the\s+)?(?:left|right)\s+of|above|below|under|over|behind|in\s+front\s+of|on|in|at)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Separators();

    [GeneratedRegex(@"\G(?:(?:a|an|the|some|one|two|three|four|many|several)\s+)+", RegexOptions.IgnoreCase)]
    private static partial Regex Leading();
}
