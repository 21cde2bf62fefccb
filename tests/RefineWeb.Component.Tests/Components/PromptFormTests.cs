using Bunit;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using RefineWeb.Components.Pages.Home;
using RefineWeb.Generation;

namespace RefineWeb.Tests.Components;

/// <summary>The prompt box: completion from the model's vocabulary, errors, and the keyboard shortcut.</summary>
public sealed class PromptFormTests : MudComponentTest
{
    readonly string model = Directory.CreateTempSubdirectory("refineweb-prompt-").FullName;
    readonly GenerationForm form = new([new("base", 16, 4, 3.0)]);
    int generated, edited;

    public PromptFormTests() => Bunit.Services.AddSingleton(TinyModel(model)); // its vocabulary: "red", "heart"

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(model, recursive: true);
    }

    IRenderedComponent<PromptForm> Render(Dictionary<string, string[]>? errors = null) => Bunit.Render<PromptForm>(p => p
        .Add(x => x.Form, form).Add(x => x.Interactive, true).Add(x => x.Errors, errors ?? [])
        .Add(x => x.OnGenerate, () => generated++).Add(x => x.OnPromptEdited, () => edited++));

    static AngleSharp.Dom.IElement Box(IRenderedComponent<PromptForm> prompt) => prompt.Find("[data-testid=prompt] textarea, textarea[data-testid=prompt]");

    [Fact]
    public void A_word_being_typed_is_completed_from_the_vocabulary_with_one_click()
    {
        var prompt = Render();
        Box(prompt).Input("red he");
        Assert.Equal(["heart"], prompt.FindAll("[data-testid=completion]").Select(b => b.TextContent));
        prompt.Find("[data-testid=completion]").Click();
        Assert.Equal("red heart ", form.Prompt);
        Assert.Empty(prompt.FindAll("[data-testid=completions]")); // a finished word needs no completion
        Assert.True(edited >= 2);

        Box(prompt).Input("red heart qz");
        Assert.Empty(prompt.FindAll("[data-testid=completions]")); // nothing in the vocabulary begins so
    }

    [Fact]
    public void Ctrl_enter_generates_and_an_error_shows_under_the_prompt()
    {
        var prompt = Render(new() { ["prompt"] = ["Type a prompt: what should the picture show?"] });
        Assert.Contains("Type a prompt", prompt.Markup);
        Box(prompt).KeyDown(new KeyboardEventArgs { Key = "Enter", CtrlKey = true });
        Assert.Equal(1, generated);
        Box(prompt).KeyDown(new KeyboardEventArgs { Key = "Enter" });
        Assert.Equal(1, generated); // Enter alone is a new line
    }
}
