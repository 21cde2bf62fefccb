using Bunit;
using RefineWeb.Components.Pages.Home;
using RefineWeb.Generation;

namespace RefineWeb.Tests.Components;

public sealed class ScoreLineTests : MudComponentTest
{
    [Fact]
    public void A_score_reads_in_words_with_its_number_its_bar_and_each_phrase()
    {
        var score = new ImageScore(0.61, [new PhraseScore("red", 1.5, 0.3)], Rank: 1);
        var line = Bunit.Render<ScoreLine>(p => p.Add(x => x.Score, score).Add(x => x.Ranked, true));
        Assert.Equal("Best match", line.Find("[data-testid=rank]").TextContent);
        Assert.Contains("Prompt: matches well", line.Find("[data-testid=prompt-match]").TextContent);
        Assert.Contains("(0.61)", line.Find("[data-testid=prompt-match]").TextContent);
        Assert.Equal("width: 61%", line.Find(".match-bar span").GetAttribute("style"));
        Assert.Contains("red ×1.5: matches weakly", line.Find("[data-testid=phrase-score]").TextContent);
    }

    [Fact]
    public void One_image_alone_has_no_rank_and_the_others_are_numbered()
    {
        var alone = Bunit.Render<ScoreLine>(p => p.Add(x => x.Score, new ImageScore(0.4, [], 1)));
        Assert.Empty(alone.FindAll("[data-testid=rank]"));
        Assert.Contains("matches partly", alone.Markup);
        var second = Bunit.Render<ScoreLine>(p => p.Add(x => x.Score, new ImageScore(-0.2, [], 2)).Add(x => x.Ranked, true));
        Assert.Equal("#2", second.Find("[data-testid=rank]").TextContent);
        Assert.Equal("width: 0%", second.Find(".match-bar span").GetAttribute("style")); // below 0: an empty bar
    }
}
