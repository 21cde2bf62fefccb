using Bunit;
using RefineWeb.Components.Pages.Home;
using RefineWeb.Generation;

namespace RefineWeb.Tests.Components;

public sealed class ScoreLineTests : MudComponentTest
{
    internal static readonly RefineWeb.Engine.Pipelines.Semantic.ScoreCalibration Calibration = new()
    {
        WellAtLeast = 0.45, PartlyAtLeast = 0.2, MeaningfulDifference = 0.04, Pictures = 1, WrongPairs = 1, TrueWell = 1, TruePartly = 1,
    };

    [Fact]
    public void A_score_reads_in_words_with_its_number_its_bar_and_each_phrase()
    {
        var score = new ImageScore(0.61, [new PhraseScore("red", 1.5, 0.1)], Rank: 1);
        var line = Bunit.Render<ScoreLine>(p => p.Add(x => x.Score, score).Add(x => x.Place, "Best match").Add(x => x.Calibration, Calibration));
        Assert.Equal("Best match", line.Find("[data-testid=rank]").TextContent);
        Assert.Contains("Prompt: matches well", line.Find("[data-testid=prompt-match]").TextContent);
        Assert.Contains("(0.61)", line.Find("[data-testid=prompt-match]").TextContent);
        Assert.Equal("width: 61%", line.Find(".match-bar span").GetAttribute("style"));
        Assert.Contains("red ×1.5: matches weakly (0.10)", line.Find("[data-testid=phrase-score]").TextContent);
    }

    [Fact]
    public void One_image_alone_has_no_rank_and_the_others_are_numbered()
    {
        var alone = Bunit.Render<ScoreLine>(p => p.Add(x => x.Score, new ImageScore(0.4, [], 1)).Add(x => x.Calibration, Calibration));
        Assert.Empty(alone.FindAll("[data-testid=rank]"));
        Assert.Contains("matches partly", alone.Markup);
        var uncalibrated = Bunit.Render<ScoreLine>(p => p.Add(x => x.Score, new ImageScore(0.4, [], 1)));
        Assert.DoesNotContain("matches", uncalibrated.Markup); // no words a model without a calibration could not back
        Assert.Contains("(0.40)", uncalibrated.Markup);
        var second = Bunit.Render<ScoreLine>(p => p.Add(x => x.Score, new ImageScore(-0.2, [], 2)).Add(x => x.Place, "#2"));
        Assert.Equal("#2", second.Find("[data-testid=rank]").TextContent);
        Assert.Equal("width: 0%", second.Find(".match-bar span").GetAttribute("style")); // below 0: an empty bar
    }

    [Fact]
    public void A_layouts_image_reads_each_regions_score_in_words_in_the_regions_colour()
    {
        var score = new ImageScore(0.3, [], 1, [new RegionScore("red heart", 0.5), new RegionScore("blue heart", 0.1)]);
        var line = Bunit.Render<ScoreLine>(p => p.Add(x => x.Score, score).Add(x => x.Calibration, Calibration));
        var regions = line.FindAll("[data-testid=region-score]");
        Assert.Equal(2, regions.Count);
        Assert.Contains("red heart: matches well (0.50)", regions[0].TextContent);
        Assert.Contains("blue heart: matches weakly (0.10)", regions[1].TextContent);
        Assert.Equal($"background: {LayoutPresets.Colour(1)}", regions[1].QuerySelector(".region-swatch")!.GetAttribute("style"));
        Assert.Empty(Bunit.Render<ScoreLine>(p => p.Add(x => x.Score, new ImageScore(0.3, [], 1))).FindAll("[data-testid=region-score]"));
    }
}
