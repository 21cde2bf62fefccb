using Bunit;
using RefineWeb.Components.Pages.Home;
using RefineWeb.Gallery;
using RefineWeb.Generation;

namespace RefineWeb.Tests.Components;

public sealed class RecentStripTests : MudComponentTest
{
    static StoredImage Image(string id, string? prompt) =>
        new(id, Guid.Empty, 64, 64, prompt is null ? ImageOrigin.Uploaded : ImageOrigin.Generated, null, false, prompt, null, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Every_thumbnail_is_a_button_that_opens_its_image_and_the_open_one_is_marked()
    {
        var opened = new List<string>();
        var strip = Bunit.Render<RecentStrip>(p => p.Add(x => x.Images, [Image("a", "red heart"), Image("b", null)])
            .Add(x => x.SelectedId, "b").Add(x => x.OnSelect, (string id) => opened.Add(id)));
        var buttons = strip.FindAll("button[data-testid=thumbnail]");
        Assert.Equal(2, buttons.Count); // buttons: Tab reaches them, Enter and Space press them
        Assert.Equal(["false", "true"], buttons.Select(b => b.GetAttribute("aria-pressed")));
        Assert.Equal(["Brush and refine: red heart", "Brush and refine: uploaded image"], strip.FindAll("[data-testid=thumbnail] img").Select(i => i.GetAttribute("alt")));
        buttons[0].Click();
        Assert.Equal(["a"], opened);
    }

    [Fact]
    public void No_images_no_strip() => Assert.Empty(Bunit.Render<RecentStrip>(p => p.Add(x => x.Images, [])).Markup.Trim());
}
