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
}
