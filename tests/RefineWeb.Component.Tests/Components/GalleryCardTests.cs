using Bunit;
using RefineWeb.Components.Pages.Gallery;
using RefineWeb.Engine.Schedulers;
using RefineWeb.Gallery;

namespace RefineWeb.Tests.Components;

public sealed class GalleryCardTests : MudComponentTest
{

    public GalleryCardTests() => UseTinyModel(); // 16, 32, 64 px

    static StoredImage Image(string id, ImageOrigin origin, string? parent = null, bool mask = false, ImageParameters? parameters = null) =>
        new(id, Guid.Empty, 64, 64, origin, parent, mask, "red heart", parameters, DateTimeOffset.UnixEpoch);

    [Fact]
    public void A_card_shows_the_prompt_its_stages_and_every_setting_and_its_actions_point_at_the_image()
    {
        var parameters = new ImageParameters { Prompt = "red heart", Seed = 42, Steps = [20, 2, 2], Stages = 3, Sampler = SamplerKind.Ddim, GuidanceScales = [3, 2, 1.5] };
        var opened = new List<string>();
        var card = Bunit.Render<GalleryCard>(p => p.Add(x => x.Image, Image("abc123456789", ImageOrigin.Generated, parameters: parameters))
            .Add(x => x.OnOpen, (StoredImage i) => opened.Add(i.Id)));
        Assert.Equal("red heart", card.Find("[data-testid=card-prompt]").TextContent);
        Assert.Contains("16 → 32 → 64 px", card.Markup);
        Assert.Contains("Steps: 20/2/2 · Guidance: 3/2/1.5 · Sampler: ddim · Seed: 42", card.Markup);
        Assert.Equal("/?reuse=abc123456789", card.Find("[data-testid=reuse]").GetAttribute("href"));
        Assert.Equal("/?edit=abc123456789", card.Find("[data-testid=refine]").GetAttribute("href"));
        Assert.Equal(Paths.ImagePng("abc123456789"), card.Find("[data-testid=gallery-image]").GetAttribute("src"));
        card.Find("[data-testid=open-image]").Click();
        Assert.Equal(["abc123456789"], opened);
    }

    [Fact]
    public void A_refinement_shows_its_chain_back_to_what_is_left_and_its_mask()
    {
        var parent = Image("parent00000000", ImageOrigin.Generated);
        var child = Image("child000000000", ImageOrigin.Refined, parent: "parent00000000", mask: true);
        var card = Bunit.Render<GalleryCard>(p => p.Add(x => x.Image, child).Add(x => x.Ancestors, [parent]));
        var chain = card.Find("[data-testid=lineage-chain]");
        Assert.Contains(Paths.ImagePng("parent00000000"), chain.InnerHtml);
        Assert.Contains(Paths.ImageMask("child000000000"), chain.InnerHtml);

        var orphan = Bunit.Render<GalleryCard>(p => p.Add(x => x.Image, child));
        Assert.Contains("from a deleted image", orphan.Find("[data-testid=lineage-chain]").TextContent);
    }
}
