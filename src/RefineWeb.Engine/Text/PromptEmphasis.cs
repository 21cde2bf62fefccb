using System.Globalization;
using System.Text;

namespace RefineWeb.Engine.Text;

/// <summary>A phrase the user emphasized, with its weight and where it sits in the plain prompt.</summary>
public sealed record EmphasizedPhrase(string Text, double Weight, int Start);

/// <summary>A prompt with its emphasis syntax taken out: the words the model reads, and the weighted phrases.</summary>
public sealed record EmphasizedPrompt(string Text, IReadOnlyList<EmphasizedPhrase> Phrases);

/// <summary>Emphasis syntax that cannot be read: the message says what and where (a 0-based character position).</summary>
public sealed class PromptSyntaxException(string message, int position) : FormatException(message)
{
    public int Position { get; } = position;
}

/// <summary>
/// The emphasis syntax image-UI users know: <c>(blue:1.4)</c> sets a weight, <c>(blue)</c> multiplies by 1.1
/// (nesting multiplies again: <c>((blue))</c> = 1.21), <c>[blue]</c> divides by 1.1; <c>\(</c>, <c>\)</c>, <c>\[</c>,
/// <c>\]</c> are literal brackets. Weights multiply through nesting and must end between 0.1 and 3.
/// </summary>
public static class PromptEmphasis
{
    public const double Step = 1.1, MinWeight = 0.1, MaxWeight = 3.0;

    /// <summary>
    /// The plain text with every weighted phrase (weight other than 1) taken out and the spaces and commas left
    /// around them tidied: "blue apple" without "blue" is "apple"; empty when the phrases were all there was.
    /// </summary>
    public static string WithoutPhrases(string text, IReadOnlyList<EmphasizedPhrase> phrases)
    {
        // Marked on the original positions: nested phrases overlap.
        var removed = new bool[text.Length];
        foreach (var phrase in phrases.Where(p => p.Weight != 1))
            for (int i = Math.Max(0, phrase.Start); i < Math.Min(text.Length, phrase.Start + phrase.Text.Length); i++) removed[i] = true;
        var rest = new string([.. text.Where((_, i) => !removed[i])]);
        var words = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return string.Join(' ', words).Replace(" ,", ",").Trim(' ', ',');
    }

    static long parses;

    /// <summary>Prompts parsed since the process started: a request is read once, at the edge (a test checks the whole path keeps to that).</summary>
    public static long ParseCount => Interlocked.Read(ref parses);

    public static EmphasizedPrompt Parse(string prompt)
    {
        Interlocked.Increment(ref parses);
        var text = new StringBuilder();
        var phrases = new List<EmphasizedPhrase>();
        // Open groups: bracket, where it opened (in the prompt and in the plain text), the weight outside it.
        var open = new Stack<(char Bracket, int At, int Start, double Outer)>();
        double weight = 1;
        for (int i = 0; i < prompt.Length; i++)
        {
            char c = prompt[i];
            if (c == '\\' && i + 1 < prompt.Length && "()[]".Contains(prompt[i + 1]))
            {
                text.Append(prompt[++i]);
                continue;
            }
            switch (c)
            {
                case '(' or '[':
                    open.Push((c, i, text.Length, weight));
                    weight *= c == '(' ? Step : 1 / Step;
                    break;
                case ')' or ']':
                    if (open.Count == 0) throw new PromptSyntaxException($"'{c}' at position {i + 1} closes nothing.", i);
                    var group = open.Pop();
                    if ((group.Bracket == '(') != (c == ')'))
                        throw new PromptSyntaxException($"'{group.Bracket}' at position {group.At + 1} is closed by '{c}' at position {i + 1}.", i);
                    double groupWeight = weight;
                    var inner = text.ToString(group.Start, text.Length - group.Start);
                    int colon = c == ')' ? inner.LastIndexOf(':') : -1;
                    if (colon >= 0)
                    {
                        var number = inner[(colon + 1)..].Trim();
                        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var explicitWeight) || !double.IsFinite(explicitWeight))
                            throw new PromptSyntaxException($"'{number}' in '({inner})' is not a weight; write it like (blue:1.4).", group.At);
                        groupWeight = group.Outer * explicitWeight;
                        text.Length = group.Start + colon;
                        inner = inner[..colon];
                    }
                    var phrase = inner.Trim();
                    if (phrase.Length == 0) throw new PromptSyntaxException($"The brackets at position {group.At + 1} hold no words.", group.At);
                    if (groupWeight < MinWeight || groupWeight > MaxWeight)
                        throw new PromptSyntaxException($"'{phrase}' would weigh {groupWeight:0.##}; weights go from {MinWeight} to {MaxWeight}.", group.At);
                    // Nested groups around the same words ((blue)) are one phrase with the innermost, effective weight.
                    int start = group.Start + (inner.Length - inner.TrimStart().Length);
                    if (!phrases.Any(p => p.Start == start && p.Text == phrase))
                        phrases.Add(new EmphasizedPhrase(phrase, Math.Round(groupWeight, 4), start));
                    weight = group.Outer;
                    break;
                default:
                    text.Append(c);
                    break;
            }
        }
        if (open.Count > 0)
        {
            var unclosed = open.Last();
            throw new PromptSyntaxException($"'{unclosed.Bracket}' at position {unclosed.At + 1} is never closed.", unclosed.At);
        }
        return new EmphasizedPrompt(text.ToString(), [.. phrases.OrderBy(p => p.Start)]);
    }

    /// <summary>
    /// Writes a prompt back in the syntax: every phrase as <c>(words:weight)</c> (nested phrases relative to the one
    /// around them, as the parser reads them), literal brackets escaped. <c>Parse(Format(p))</c> gives p back. Phrases must be disjoint or nested.
    /// </summary>
    public static string Format(EmphasizedPrompt prompt)
    {
        var output = new StringBuilder();
        var ordered = prompt.Phrases.OrderBy(p => p.Start).ThenByDescending(p => p.Text.Length).ToList();
        int next = 0, cursor = 0;
        // Writes the text up to `end`, opening a group for every phrase that starts before it.
        void Emit(int end, double outer)
        {
            while (true)
            {
                int stop = next < ordered.Count && ordered[next].Start < end ? ordered[next].Start : end;
                for (; cursor < stop; cursor++)
                {
                    if ("()[]".Contains(prompt.Text[cursor])) output.Append('\\');
                    output.Append(prompt.Text[cursor]);
                }
                if (stop == end) return;
                var phrase = ordered[next++];
                int phraseEnd = phrase.Start + phrase.Text.Length;
                if (phraseEnd > end) throw new ArgumentException($"'{phrase.Text}' overlaps another emphasized phrase without being inside it.");
                output.Append('(');
                Emit(phraseEnd, outer * Step); // inside "(" the parser's running weight is outer x 1.1 until the ":w)" sets it
                output.Append(':').Append((phrase.Weight / outer).ToString("0.###", CultureInfo.InvariantCulture)).Append(')');
            }
        }
        Emit(prompt.Text.Length, 1);
        return output.ToString();
    }
}
