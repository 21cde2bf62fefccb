using Bunit;
using RefineWeb.Components.Pages.Home;

namespace RefineWeb.Tests.Components;

public sealed class EmphasisBarTests : MudComponentTest
{
    string? written;

    public EmphasisBarTests() => UseTinyModel(); // knows "red" and "heart"

    IRenderedComponent<EmphasisBar> Render(string prompt, bool disabled = false) =>
        Bunit.Render<EmphasisBar>(p => p.Add(x => x.Prompt, prompt).Add(x => x.Disabled, disabled).Add(x => x.PromptChanged, (string v) => written = v));

    [Fact]
    public void Clicking_a_word_emphasizes_it_in_the_prompt_s_syntax_and_clicking_it_again_takes_it_off()
    {
        var bar = Render("red heart");
        Assert.Equal(["red", "heart"], bar.FindAll("[data-testid=emphasis-word]").Select(b => b.TextContent));
        bar.FindAll("[data-testid=emphasis-word]")[0].Click();
        Assert.Equal("(red:1.5) heart", written);
        Assert.Equal("red ×1.5", bar.Find("[data-testid=emphasis-chip] .mud-chip-content").TextContent.Trim());
        bar.FindAll("[data-testid=emphasis-word]")[0].Click();
        Assert.Equal("red heart", written);
        Assert.Empty(bar.FindAll("[data-testid=emphasis-chip]"));
    }

    [Fact]
    public void Typed_emphasis_shows_as_chips_and_a_malformed_prompt_says_where()
    {
        var bar = Render("((red)) heart");
        Assert.Contains("red ×1.21", bar.Find("[data-testid=emphasis-chip]").TextContent);
        Assert.Contains("emphasized", bar.FindAll("[data-testid=emphasis-word]")[0].ClassName);
        var broken = Render("(red heart");
        Assert.Contains("'(' at position 1 is never closed", broken.Find("[data-testid=emphasis-error]").TextContent);
        Assert.Empty(broken.FindAll("[data-testid=emphasis-word]"));
    }

    [Fact]
    public void An_unknown_word_is_marked_with_a_replacement_that_keeps_the_emphasis_syntax()
    {
        var bar = Render("(red:1.4) hearts");
        Assert.Equal("true", bar.FindAll("[data-testid=emphasis-word]")[1].GetAttribute("data-unknown"));
        var suggestion = bar.FindAll("[data-testid=suggestion]").Single(b => b.TextContent == "heart");
        suggestion.Click();
        Assert.Equal("(red:1.4) heart", written);
    }

    [Fact]
    public void While_a_job_runs_the_words_show_and_nothing_changes_them()
    {
        var bar = Render("red heart", disabled: true);
        Assert.All(bar.FindAll("[data-testid=emphasis-word]"), b => Assert.True(b.HasAttribute("disabled")));
    }
}
