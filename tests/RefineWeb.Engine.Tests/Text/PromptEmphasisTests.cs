using RefineWeb.Engine.Text;

namespace RefineWeb.Engine.Tests.Text;

public sealed class PromptEmphasisTests
{
    [Theory]
    [InlineData("heart with (blue:1.4) sparkles", "heart with blue sparkles", "blue", 1.4)]
    [InlineData("(smiling) cat face", "smiling cat face", "smiling", 1.1)]
    [InlineData("((smiling)) cat face", "smiling cat face", "smiling", 1.21)]
    [InlineData("[red] heart", "red heart", "red", 0.9091)]
    [InlineData("a (big red:0.5) apple", "a big red apple", "big red", 0.5)]
    public void Weights_follow_the_common_syntax(string prompt, string text, string phrase, double weight)
    {
        var parsed = PromptEmphasis.Parse(prompt);
        Assert.Equal(text, parsed.Text);
        var emphasized = parsed.Phrases.First(p => p.Text == phrase);
        Assert.Equal(weight, emphasized.Weight, 4);
        Assert.Equal(phrase, parsed.Text.Substring(emphasized.Start, phrase.Length));
    }

    [Fact]
    public void Several_phrases_and_nesting_multiply_and_escapes_stay_literal()
    {
        var parsed = PromptEmphasis.Parse(@"(blue:1.4) heart, ((cat (face:2))) \(kept\)");
        Assert.Equal("blue heart, cat face (kept)", parsed.Text);
        Assert.Equal([("blue", 1.4), ("cat face", 1.21), ("face", 2.42)],
            parsed.Phrases.Select(p => (p.Text, p.Weight)));
    }

    [Fact]
    public void A_plain_prompt_has_no_phrases()
    {
        var parsed = PromptEmphasis.Parse("red heart");
        Assert.Equal("red heart", parsed.Text);
        Assert.Empty(parsed.Phrases);
    }

    [Theory]
    [InlineData("(blue heart", "never closed", 0)]
    [InlineData("blue) heart", "closes nothing", 4)]
    [InlineData("(blue] heart", "is closed by", 5)]
    [InlineData("(blue:abc) heart", "not a weight", 0)]
    [InlineData("(blue:9) heart", "weights go from", 0)]
    [InlineData("red () heart", "hold no words", 4)]
    public void Malformed_emphasis_gets_a_clear_message_with_its_position(string prompt, string message, int position)
    {
        var error = Assert.Throws<PromptSyntaxException>(() => PromptEmphasis.Parse(prompt));
        Assert.Contains(message, error.Message);
        Assert.Equal(position, error.Position);
    }

    [Theory]
    [InlineData("(blue:1.5) apple", "apple")]
    [InlineData("apple, (blue:1.5)", "apple")]
    [InlineData("a (shiny:1.3) (blue:1.5) apple on a table", "a apple on a table")]
    [InlineData("(cat (face:2):1.2) with (tears:0.8), smiling", "with, smiling")]
    [InlineData("(blue:1.5)", "")]
    [InlineData("red heart", "red heart")]
    public void The_other_words_are_the_prompt_without_its_weighted_phrases(string prompt, string otherWords)
    {
        var parsed = PromptEmphasis.Parse(prompt);
        Assert.Equal(otherWords, PromptEmphasis.WithoutPhrases(parsed.Text, parsed.Phrases));
    }
}
