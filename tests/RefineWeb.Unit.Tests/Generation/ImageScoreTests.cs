using RefineWeb.Generation;

namespace RefineWeb.Tests.Generation;

public sealed class ImageScoreTests
{
    [Theory]
    [InlineData(0.73, "matches well")]
    [InlineData(0.55, "matches well")]
    [InlineData(0.5, "matches partly")]
    [InlineData(0.35, "matches partly")]
    [InlineData(0.2, "matches weakly")]
    [InlineData(-0.04, "matches weakly")]
    public void A_score_reads_as_words(double score, string words) => Assert.Equal(words, ImageScore.Describe(score));

    [Theory]
    [InlineData(-0.3, 0)]
    [InlineData(0.42, 0.42)]
    [InlineData(1.2, 1)]
    public void The_bar_is_the_score_clamped_to_0_1(double score, double share) => Assert.Equal(share, ImageScore.BarShare(score));

    [Fact]
    public void Scores_are_ranked_and_a_non_number_reads_as_zero_so_the_status_still_serializes()
    {
        var phrases = RefineWeb.Engine.Text.PromptEmphasis.Parse("(red:1.5) heart").Phrases;
        var ranked = ImageScore.Ranked([new(0.61234, [0.2]), new(double.NaN, [double.PositiveInfinity]), new(0.5, [0.9])], phrases);
        Assert.Equal([0.6123, 0, 0.5], ranked.Select(r => r.Prompt));
        Assert.Equal(0, ranked[1].Phrases[0].Score);
        Assert.Equal([2, 3, 1], ranked.Select(r => r.Rank)); // 0.5 + 0.5 x 0.9 beats 0.61 + 0.5 x 0.2
        System.Text.Json.JsonSerializer.Serialize(ranked); // would throw on NaN
    }
}
