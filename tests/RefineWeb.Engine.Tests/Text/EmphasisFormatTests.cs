using RefineWeb.Engine.Evaluation;
using RefineWeb.Engine.Text;

namespace RefineWeb.Engine.Tests.Text;

public sealed class EmphasisFormatTests
{
    [Theory]
    [InlineData("red heart")]
    [InlineData("(blue:1.4) heart")]
    [InlineData("heart with ((sparkles)) and [stars]")]
    [InlineData(@"(blue:1.4) heart, ((cat (face:2))) \(kept\)")]
    [InlineData("(dark skin tone:1.5) woman (red:0.6) hair")]
    public void Format_writes_a_prompt_that_parses_back_to_the_same_words_and_weights(string prompt)
    {
        var parsed = PromptEmphasis.Parse(prompt);
        var again = PromptEmphasis.Parse(PromptEmphasis.Format(parsed));
        Assert.Equal(parsed.Text, again.Text);
        Assert.Equal(parsed.Phrases.Select(p => (p.Text, p.Start)), again.Phrases.Select(p => (p.Text, p.Start)));
        foreach (var (a, b) in parsed.Phrases.Zip(again.Phrases)) Assert.Equal(a.Weight, b.Weight, 2);
    }

    [Fact]
    public void Format_writes_plain_weights_and_escapes_brackets()
    {
        var prompt = new EmphasizedPrompt("blue heart (big)", [new EmphasizedPhrase("blue", 1.5, 0)]);
        Assert.Equal(@"(blue:1.5) heart \(big\)", PromptEmphasis.Format(prompt));
    }

    [Fact]
    public void Token_weights_land_on_the_words_of_each_phrase_only()
    {
        var tokenizer = new WordTokenizer(["<pad>", "<unk>", "<s>", "</s>", "dark", "skin", "tone", "woman", "red", "hair"]);
        var parsed = PromptEmphasis.Parse("(dark skin tone:1.5) woman, (red:0.5) hair");
        var weights = TokenEmphasis.Weights(tokenizer, parsed.Text, parsed.Phrases);
        // <s> dark skin tone woman red hair </s> <pad>...
        Assert.Equal([1f, 1.5f, 1.5f, 1.5f, 1f, 0.5f, 1f, 1f], weights.Take(8));
        Assert.All(weights.Skip(8), w => Assert.Equal(1f, w));
        Assert.Equal(tokenizer.MaxLength, weights.Length);
    }

    [Theory]
    [InlineData("woman: light skin tone", "light skin tone", 7)]
    [InlineData("woman: medium-light skin tone", "light skin tone", -1)]
    [InlineData("woman: medium-light skin tone", "medium-light skin tone", 7)]
    [InlineData("red heart", "red", 0)]
    [InlineData("credit card", "red", -1)]
    public void Evaluation_phrases_match_whole_words_only(string caption, string phrase, int at) =>
        Assert.Equal(at, SemanticCases.Find(caption, phrase));

    [Fact]
    public void Evaluation_cases_name_exactly_one_phrase_of_their_category()
    {
        string[] captions = ["red heart", "blue heart", "red and blue circle", "woman: dark skin tone", "man", "credit card"];
        var cases = SemanticCases.FromCaptions(captions, perCategory: 10, seed: 1);
        Assert.Equal(["blue heart", "red heart"], cases.Where(c => c.Category == "colour").Select(c => c.Prompt).Order());
        var tone = Assert.Single(cases, c => c.Category == "skin tone");
        Assert.Equal(("dark skin tone", 7), (tone.Phrase, tone.Start));
        Assert.DoesNotContain("dark skin tone", tone.Distractors);
        Assert.Equal(["man", "woman: dark skin tone"], cases.Where(c => c.Category == "person").Select(c => c.Prompt).Order());
    }
}

public sealed class EmphasisEditsTests
{
    [Theory]
    [InlineData("a castle on a hill", "hill", "mill", "a castle on a mill")]
    [InlineData("(blue:1.5) hearts", "hearts", "heart", "(blue:1.5) heart")]
    [InlineData("(blue hearts:1.3), (cat:2) face", "hearts", "heart", "(blue heart:1.3), (cat:2) face")]
    [InlineData("hearts (blue:0.8)", "hearts", "heart", "heart (blue:0.8)")]
    public void Replacing_a_word_keeps_every_phrase_and_its_weight(string prompt, string word, string replacement, string expected)
    {
        var parsed = PromptEmphasis.Parse(prompt);
        int start = parsed.Text.IndexOf(word, StringComparison.Ordinal);
        Assert.Equal(expected, PromptEmphasis.Format(EmphasisEdits.ReplaceWord(parsed, start, word.Length, replacement)));
    }

    static string Toggle(string prompt, string word, bool join = false)
    {
        var parsed = PromptEmphasis.Parse(prompt);
        int start = parsed.Text.IndexOf(word, StringComparison.Ordinal);
        return PromptEmphasis.Format(EmphasisEdits.ToggleWord(parsed, start, word.Length, join));
    }

    [Theory]
    [InlineData("blue heart", "blue", false, "(blue:1.5) heart")]
    [InlineData("(blue:1.5) heart", "blue", false, "blue heart")]
    [InlineData("(dark:1.5) skin tone", "skin", true, "(dark skin:1.5) tone")]
    [InlineData("(dark skin:1.8) tone", "tone", true, "(dark skin tone:1.8)")]
    [InlineData("dark (skin:1.5)", "dark", true, "(dark skin:1.5)")]
    [InlineData("(dark:1.5) skin tone", "tone", true, "(dark:1.5) skin (tone:1.5)")]
    [InlineData("(cat (face:2)) smiling", "face", false, "(cat face:1.1) smiling")]
    public void Clicking_words_adds_joins_and_removes_emphasis(string prompt, string word, bool join, string expected) =>
        Assert.Equal(expected, Toggle(prompt, word, join));

    [Fact]
    public void Weights_are_clamped_and_removal_keeps_the_words()
    {
        var parsed = PromptEmphasis.Parse("(blue:1.5) heart");
        var heavier = EmphasisEdits.SetWeight(parsed, parsed.Phrases[0], 9);
        Assert.Equal("(blue:3) heart", PromptEmphasis.Format(heavier));
        Assert.Equal("blue heart", PromptEmphasis.Format(EmphasisEdits.Remove(heavier, heavier.Phrases[0])));
    }
}
