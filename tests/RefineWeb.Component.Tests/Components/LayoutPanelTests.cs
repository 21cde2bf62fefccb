using Bunit;
using RefineWeb.Components.Pages.Home;
using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Requests;

namespace RefineWeb.Tests.Components;

/// <summary>The layout row: presets, a prompt per region kept across presets, painted regions, removal.</summary>
public sealed class LayoutPanelTests : MudComponentTest
{
    readonly GenerationForm form = new([new("base", 16, 4, 3.0)]) { Settings = new GenerationInput { Prompt = "hearts" } };

    IRenderedComponent<LayoutPanel> Render() => Bunit.Render<LayoutPanel>(p => p.Add(x => x.Form, form).Add(x => x.Interactive, true));

    [Fact]
    public void A_preset_makes_its_regions_and_switching_keeps_what_was_typed_in_each_place()
    {
        var panel = Render();
        Assert.Empty(panel.FindAll("[data-testid=layout-region]"));
        panel.FindAll("[data-testid=layout-preset]").First(b => b.TextContent.Contains("Left")).Click();
        Assert.Equal(2, form.Settings.Regions!.Length);
        Assert.Equal(new RegionRect { X = 0.5, Y = 0, Width = 0.5, Height = 1 }, form.Settings.Regions[1].Rect);
        panel.FindAll("input[data-testid=layout-region]")[0].Input("red heart");
        Assert.Equal("red heart", form.Settings.Regions[0].Prompt);

        // A weight other than 1 goes with the region; 1 is the default, left out of the request.
        panel.FindAll("input[data-testid=layout-weight]")[0].Change("1.5");
        Assert.Equal(1.5, form.Settings.Regions[0].Weight);
        panel.FindAll("input[data-testid=layout-weight]")[1].Change("1");
        Assert.Null(form.Settings.Regions[1].Weight);

        // A region's own negative prompt ("Not") goes with it; a blank one is left out, so the request's applies.
        panel.FindAll("input[data-testid=layout-negative]")[0].Input("blue");
        Assert.Equal("blue", form.Settings.Regions[0].NegativePrompt);
        panel.FindAll("input[data-testid=layout-negative]")[1].Input("  ");
        Assert.Null(form.Settings.Regions[1].NegativePrompt);

        panel.FindAll("[data-testid=layout-preset]").First(b => b.TextContent.Contains("Thirds")).Click();
        Assert.Equal(3, form.Settings.Regions!.Length);
        Assert.Equal("red heart", form.Settings.Regions[0].Prompt);
        Assert.Equal(1.5, form.Settings.Regions[0].Weight); // kept in its place, as the prompt
        Assert.Equal("blue", form.Settings.Regions[0].NegativePrompt);
        Assert.Null(form.Settings.Regions[2].NegativePrompt);
        Assert.Equal(3, panel.FindAll("[data-testid=layout-preview] rect").Count - 1); // the rest, then one per region

        panel.Find("[data-testid=drop-layout]").Click();
        Assert.Null(form.Settings.Regions);
        Assert.Empty(panel.FindAll("[data-testid=layout-preview]"));
    }

    [Fact]
    public void A_painted_region_brought_back_by_reuse_shows_its_mask_and_its_box_and_is_named_painted()
    {
        var mask = RegionMask.ToBase64([.. Enumerable.Range(0, 32 * 32).Select(p => p % 32 >= 24 && p / 32 < 8)], 32); // the top right corner
        form.Settings = form.Settings with { Regions = [new RegionInput { Prompt = "sun", Mask = mask }] };
        var panel = Render();
        var image = panel.Find("[data-testid=layout-preview] image");
        Assert.Equal($"data:image/png;base64,{mask}", image.GetAttribute("href"));
        var box = panel.FindAll("[data-testid=layout-preview] rect")[1];
        Assert.Equal(("75", "0", "25", "25"), (box.GetAttribute("x"), box.GetAttribute("y"), box.GetAttribute("width"), box.GetAttribute("height")));
        Assert.Contains("1: painted", panel.Find(".layout-prompt label").TextContent);
        Assert.Empty(panel.FindAll("[data-testid=layout-preset][aria-pressed=true]")); // no preset is this layout
    }
}
