using Bunit;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using RefineWeb.Components.Pages.Home;
using RefineWeb.Contracts;
using RefineWeb.Engine.Requests;
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

    [Fact]
    public void A_reused_layout_is_shown_with_its_regions_sent_along_and_can_be_dropped()
    {
        form.Restore(new ImageParameters
        {
            Prompt = "hearts", Seed = 3,
            Regions = [new RegionInput { Prompt = "red heart", Rect = new RegionRect { X = 0, Y = 0, Width = 0.5, Height = 1 } },
                new RegionInput { Prompt = "blue heart", Rect = new RegionRect { X = 0.5, Y = 0, Width = 0.5, Height = 1 } }],
        });
        var prompt = Render();
        Assert.Equal(["red heart", "blue heart"], prompt.FindAll("input[data-testid=layout-region], [data-testid=layout-region] input").Select(i => i.GetAttribute("value")));
        Assert.Contains("1: left half", prompt.Markup);
        Assert.Contains("2: right half", prompt.Markup);
        Assert.Equal("true", prompt.FindAll("[data-testid=layout-preset]").Single(b => b.TextContent.Contains("Left | right")).GetAttribute("aria-pressed"));
        Assert.Equal(2, form.ToInput().Regions!.Length); // generating again sends the layout

        prompt.Find("[data-testid=drop-layout]").Click();
        Assert.Empty(prompt.FindAll("input[data-testid=layout-region], [data-testid=layout-region] input"));
        Assert.Null(form.ToInput().Regions);
        Assert.Equal("hearts", form.ToInput().Prompt); // the rest of the settings stay
    }

    [Fact]
    public void A_preset_makes_regions_whose_prompts_are_typed_and_kept_when_the_preset_changes()
    {
        var prompt = Render();
        Assert.Empty(prompt.FindAll("input[data-testid=layout-region], [data-testid=layout-region] input"));
        prompt.FindAll("[data-testid=layout-preset]").Single(b => b.TextContent.Contains("Left | right")).Click();
        var boxes = prompt.FindAll("input[data-testid=layout-region], [data-testid=layout-region] input");
        Assert.Equal(2, boxes.Count);
        boxes[0].Input("red heart");
        prompt.FindAll("input[data-testid=layout-region], [data-testid=layout-region] input")[1].Input("blue heart");
        var sent = form.ToInput().Regions!;
        Assert.Equal(["red heart", "blue heart"], sent.Select(r => r.Prompt));
        Assert.Equal([0.0, 0.5], sent.Select(r => r.Rect!.X));

        prompt.FindAll("[data-testid=layout-preset]").Single(b => b.TextContent.Contains("Thirds")).Click();
        Assert.Equal(["red heart", "blue heart", ""], form.ToInput().Regions!.Select(r => r.Prompt));
        Assert.Equal(4, prompt.FindAll("[data-testid=layout-preview] rect").Count); // the rest, then three regions

        var errors = new Dictionary<string, string[]> { ["regions[2].prompt"] = ["Type a prompt: what should the picture show?"] };
        prompt = Render(errors);
        Assert.Contains("Type a prompt", prompt.Markup); // under the third region's box
    }
}
