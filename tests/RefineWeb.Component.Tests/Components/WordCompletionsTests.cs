using Bunit;
using RefineWeb.Components.Pages.Home;

namespace RefineWeb.Tests.Components;

public sealed class WordCompletionsTests : MudComponentTest
{

    public WordCompletionsTests() => UseTinyModel(); // knows "red" and "heart"

    [Fact]
    public void A_word_being_typed_is_completed_from_the_vocabulary_with_one_click()
    {
        string? written = null;
        var completions = Bunit.Render<WordCompletions>(p => p.Add(x => x.Prompt, "red hea").Add(x => x.PromptChanged, (string v) => written = v));
        var button = Assert.Single(completions.FindAll("[data-testid=completion]"));
        Assert.Equal("heart", button.TextContent);
        Assert.Contains("Complete “hea”", completions.Markup);
        button.Click();
        Assert.Equal("red heart ", written);
    }

    [Theory]
    [InlineData("red heart")] // a known word needs nothing
    [InlineData("red h")] // one letter is too little to guess from
    [InlineData("red ")] // nothing being typed
    [InlineData("red qz")] // nothing it could become
    public void Nothing_to_offer_shows_nothing(string prompt) =>
        Assert.Empty(Bunit.Render<WordCompletions>(p => p.Add(x => x.Prompt, prompt)).FindAll("[data-testid=completion]"));
}
