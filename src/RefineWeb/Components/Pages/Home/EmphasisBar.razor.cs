using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;
using RefineWeb.Engine.Text;

namespace RefineWeb.Components.Pages.Home;

/// <summary>The prompt's words as buttons and its emphasized phrases as chips with a weight slider; the prompt text stays the one source of truth.</summary>
public partial class EmphasisBar
{
    /// <summary>The prompt, in the (words:weight) syntax.</summary>
    [Parameter, EditorRequired] public string Prompt { get; set; } = "";
    /// <summary>Raised with the rewritten prompt when a word is emphasized, re-weighted or replaced.</summary>
    [Parameter] public EventCallback<string> PromptChanged { get; set; }
    /// <summary>While a job runs: the words show, nothing changes them.</summary>
    [Parameter] public bool Disabled { get; set; }

    EmphasizedPrompt? parsed;
    IReadOnlyList<(int Start, int Length)> words = [];
    IReadOnlyList<(int Start, int Length, UnknownWord Word)> unknownWords = [];
    string? error;

    protected override void OnParametersSet()
    {
        try
        {
            parsed = PromptEmphasis.Parse(Prompt);
            words = WordTokenizer.WordSpans(parsed.Text);
            unknownWords = FindUnknown(parsed.Text);
            error = null;
        }
        catch (PromptSyntaxException e)
        {
            parsed = null;
            words = [];
            unknownWords = [];
            error = e.Message;
        }
    }

    EmphasizedPhrase? PhraseAt(int start, int length) =>
        parsed!.Phrases.Where(p => p.Start < start + length && start < p.Start + p.Text.Length).OrderBy(p => p.Text.Length).FirstOrDefault();

    /// <summary>Each unknown word once (its first place), with suggestions; none until the model is loaded.</summary>
    IReadOnlyList<(int Start, int Length, UnknownWord Word)> FindUnknown(string text)
    {
        if (Models.Model is not { } model) return [];
        var unknown = model.UnknownWords(text).ToDictionary(u => u.Word);
        var found = new List<(int, int, UnknownWord)>();
        foreach (var (start, length) in words)
            if (unknown.Remove(text.Substring(start, length).ToLowerInvariant(), out var word)) found.Add((start, length, word));
        return found;
    }

    UnknownWord? UnknownAt(int start, int length)
    {
        var word = parsed!.Text.Substring(start, length).ToLowerInvariant();
        return unknownWords.FirstOrDefault(u => u.Word.Word == word).Word;
    }

    Task ReplaceAsync(int start, int length, string replacement) => WriteAsync(EmphasisEdits.ReplaceWord(parsed!, start, length, replacement));

    Task ToggleAsync(int start, int length, bool join) => WriteAsync(EmphasisEdits.ToggleWord(parsed!, start, length, join));

    Task SetWeightAsync(EmphasizedPhrase phrase, double weight) => WriteAsync(EmphasisEdits.SetWeight(parsed!, phrase, weight));

    Task RemoveAsync(EmphasizedPhrase phrase) => WriteAsync(EmphasisEdits.Remove(parsed!, phrase));

    async Task WriteAsync(EmphasizedPrompt edited)
    {
        Prompt = PromptEmphasis.Format(edited);
        OnParametersSet();
        await PromptChanged.InvokeAsync(Prompt);
    }
}
