using RefineWeb.Engine.Text;

namespace RefineWeb.Engine.Tests.Text;

public class PromptPhrasesTests
{
    [Theory]
    [InlineData("a red heart and a blue star", "red heart|blue star")]
    [InlineData("cat face, rocket on the left", "cat face|rocket")]
    [InlineData("rocket", "rocket")]
    [InlineData("the pizza next to two dogs; a castle", "pizza|dogs|castle")]
    [InlineData("a smiling face with sunglasses", "smiling face|sunglasses")]
    public void A_plain_prompt_names_each_thing_once_without_articles_or_placing_words(string prompt, string expected)
    {
        var phrases = PromptPhrases.Of(prompt);
        Assert.Equal(expected.Split('|'), phrases.Select(p => p.Text));
        // Each phrase is found where it says it starts, so the tokenizer's positions for it are right.
        Assert.All(phrases, p => Assert.Equal(p.Text, prompt.Substring(p.Start, p.Text.Length)));
        Assert.All(phrases, p => Assert.Equal(1, p.Weight));
    }

    [Fact]
    public void A_prompt_of_only_joining_words_names_nothing() => Assert.Empty(PromptPhrases.Of(" and , with "));
}
