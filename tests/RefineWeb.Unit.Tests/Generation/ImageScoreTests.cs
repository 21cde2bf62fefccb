using RefineWeb.Engine.Pipelines.Semantic;
using RefineWeb.Generation;

namespace RefineWeb.Tests.Generation;

public sealed class ImageScoreTests
{
    static readonly ScoreCalibration Calibration = new()
    {
        WellAtLeast = 0.45, PartlyAtLeast = 0.2, MeaningfulDifference = 0.04, Pictures = 1, WrongPairs = 1, TrueWell = 1, TruePartly = 1,
    };

    [Theory]
    [InlineData(0.73, "matches well")]
    [InlineData(0.45, "matches well")]
    [InlineData(0.44, "matches partly")]
    [InlineData(0.2, "matches partly")]
    [InlineData(0.19, "matches weakly")]
    [InlineData(-0.04, "matches weakly")]
    public void A_score_reads_as_words_by_the_models_calibration(double score, string words) => Assert.Equal(words, Calibration.Describe(score));

    [Fact]
    public void The_calibration_is_the_wrong_captions_1_and_10_percent_tails_and_the_median_gap_of_two_right_pictures()
    {
        var wrong = Enumerable.Range(1, 100).Select(i => i / 100.0).ToList(); // 0.01 .. 1.00
        var calibration = ScoreCalibration.Compute([0.995, 0.95, 0.5, 0.1], wrong, [0.02, -0.06, 0.1]);
        Assert.Equal(0.99, calibration.WellAtLeast, 10); // 99 of 100 wrong captions score below... at or below it
        Assert.Equal(0.9, calibration.PartlyAtLeast, 10);
        Assert.Equal(0.06, calibration.MeaningfulDifference, 10); // the median of |gaps| 0.02, 0.06, 0.1
        Assert.Equal(0.25, calibration.TrueWell, 10);
        Assert.Equal(0.5, calibration.TruePartly, 10);
    }

    [Fact]
    public void Places_show_only_where_the_gaps_mean_something()
    {
        static ImageScore Score(double prompt, int rank) => new(prompt, [], rank);
        Assert.Equal([null, null, null, null], ImageScore.Places([Score(0.79, 3), Score(0.79, 4), Score(0.80, 1), Score(0.80, 2)], 0.04)); // noise
        Assert.Equal(["Best match", "about as good", "#3"], ImageScore.Places([Score(0.80, 1), Score(0.78, 2), Score(0.60, 3)], 0.04));
        Assert.Equal([null], ImageScore.Places([Score(0.5, 1)], 0.04)); // alone: nothing to rank
    }

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
