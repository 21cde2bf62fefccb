using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Pipelines.Realign;
using RefineWeb.Engine.Requests;
using RefineWeb.Engine.Serving;
using RefineWeb.Engine.Tests.Pipelines;
using RefineWeb.Engine.Text;

namespace RefineWeb.Engine.Tests.Realign;

/// <summary>Re-alignment on the shipped model: where phrases are found, what is refined, what is kept, and what the account says.</summary>
public sealed class RealignerTests(ShippedModelFixture fixture) : IClassFixture<ShippedModelFixture>
{
    ImageRequest Request(string prompt, long seed = 3, RegionInput[]? regions = null) =>
        ImageRequest.Parse(new GenerationInput { Prompt = prompt, Seed = seed, Regions = regions }, fixture.Model.Stages.Count).Request!;

    RgbImage Generate(ImageRequest request) => new ImageEngine(fixture.Model).Run([request])[0].Images[0];

    EngineResult Realign(ImageRequest request, RgbImage picture) =>
        new ImageEngine(fixture.Model).Run([request with { Edit = new ImageEdit(EditKind.Realign, "source", picture, RefinementRequest.DefaultStrength) }])[0];

    static RegionInput Half(string prompt, double x) => new() { Prompt = prompt, Rect = new RegionRect { X = x, Y = 0, Width = 0.5, Height = 1 } };

    [Fact]
    public void A_phrase_that_scores_low_is_refined_in_its_own_region_with_the_rest_kept_byte_for_byte()
    {
        const string prompt = "cat face and pizza";
        var request = Request(prompt);
        var picture = Generate(request);
        var result = Realign(request, picture);

        var account = result.Realignment!;
        Assert.Equal(["cat face", "pizza"], account.Select(p => p.Phrase));
        var pizza = account[1];
        Assert.True(pizza.Realigned, $"pizza was not re-aligned: {pizza}");
        Assert.True(pizza.After > pizza.Before, $"{pizza}");
        Assert.Equal(3, pizza.Tried);
        // The phrase that already matched well was left to itself, and its score did not fall.
        Assert.False(account[0].Realigned);
        Assert.Equal(0, account[0].Tried);
        Assert.True(account[0].After >= account[0].Before - Realigner.Tolerance, $"{account[0]}");

        // Outside the pizza's region (its mask as the locator finds it, grown by the feather) every byte is the source's.
        using var image = ImageTensor.FromRgb(picture);
        var phrases = PromptPhrases.Of(prompt);
        var mask = new PhraseLocator(fixture.Model).Locate(image, prompt, phrases, 3, picture.Width)[1]!;
        var editable = MaskCompositor.Editable(mask, picture.Width, picture.Height, GenerationLimits.DefaultFeather(picture.Width));
        var after = result.Images[0];
        int outsideChanged = 0, insideChanged = 0;
        for (int p = 0; p < editable.Length; p++)
            for (int c = 0; c < 3; c++)
                if (after.Pixels[p * 3 + c] != picture.Pixels[p * 3 + c]) _ = editable[p] ? insideChanged++ : outsideChanged++;
        Assert.Equal(0, outsideChanged);
        Assert.True(insideChanged > 1000, $"only {insideChanged} bytes changed in the pizza's region");
        Assert.True(editable.Count(e => !e) > 1000, "the pizza's region covers the whole picture: the test would prove nothing");
        Assert.NotNull(result.Scores); // the new picture is scored as a generation's
    }

    [Fact]
    public void A_picture_whose_every_phrase_already_matches_well_comes_back_unchanged()
    {
        var request = Request("rocket");
        var picture = Generate(request);
        var result = Realign(request, picture);
        var rocket = Assert.Single(result.Realignment!);
        Assert.Equal(("rocket", false, 0), (rocket.Phrase, rocket.Realigned, rocket.Tried));
        Assert.True(rocket.Before >= fixture.Model.ScoreCalibration!.WellAtLeast);
        Assert.Equal(picture.Pixels, result.Images[0].Pixels);
    }

    [Fact]
    public void Two_things_side_by_side_are_found_where_they_are()
    {
        // A layout puts the red heart on the left and the blue star on the right; the plain prompt's phrases are then found there.
        var layout = Request("heart", regions: [Half("red heart", 0), Half("blue star", 0.5)]);
        var picture = Generate(layout);
        const string prompt = "a red heart and a blue star";
        using var image = ImageTensor.FromRgb(picture);
        var masks = new PhraseLocator(fixture.Model).Locate(image, prompt, PromptPhrases.Of(prompt), 3, picture.Width);
        double CentreX(bool[] mask) => Enumerable.Range(0, mask.Length).Where(i => mask[i]).Average(i => i % picture.Width) / picture.Width;
        var (heart, star) = (CentreX(masks[0]!), CentreX(masks[1]!));
        Assert.True(heart < star, $"the red heart's mask is centred at {heart:F2} of the width, the blue star's at {star:F2}");
    }

    [Fact]
    public void A_layouts_regions_are_its_phrases_and_only_a_low_regions_pixels_change()
    {
        var layout = Request("heart", regions: [Half("red heart", 0), Half("cat face", 0.5)]);
        var picture = Generate(layout);
        var result = Realign(layout, picture);
        var account = result.Realignment!;
        Assert.Equal(["red heart", "cat face"], account.Select(p => p.Phrase));
        Assert.All(account, p => Assert.Equal(p.Realigned, p.After > p.Before && p.Tried > 0));
        // A region left alone keeps its pixels beyond the other's feather: the left half (with the feather band) is the source's unless red heart was re-aligned.
        int feather = GenerationLimits.DefaultFeather(picture.Width), half = picture.Width / 2;
        bool leftChanged = false, rightChanged = false;
        for (int y = 0; y < picture.Height; y++)
            for (int x = 0; x < picture.Width; x++)
            {
                int i = (y * picture.Width + x) * 3;
                bool differs = picture.Pixels[i] != result.Images[0].Pixels[i] || picture.Pixels[i + 1] != result.Images[0].Pixels[i + 1] || picture.Pixels[i + 2] != result.Images[0].Pixels[i + 2];
                if (differs && x < half - feather - 1) leftChanged = true;
                if (differs && x >= half + feather + 1) rightChanged = true;
            }
        Assert.Equal(account[0].Realigned, leftChanged);
        Assert.Equal(account[1].Realigned, rightChanged);
        Assert.Equal(2, result.Scores![0].Regions!.Count);
    }
}
