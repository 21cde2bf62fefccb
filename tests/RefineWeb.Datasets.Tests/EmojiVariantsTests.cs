using RefineWeb.Datasets.Emoji;

namespace RefineWeb.Datasets.Tests;

public sealed class EmojiVariantsTests
{
    [Theory]
    [InlineData("1F355", "1F355")] // pizza: a group of its own styles
    [InlineData("1F64B-1F3FD-200D-2642-FE0F", "1F64B-200D-2642")] // man raising hand: medium skin tone
    [InlineData("1F64B-200D-2642-FE0F", "1F64B-200D-2642")] // ... and its default yellow
    [InlineData("1F9D1-1F3FB-200D-1F91D-200D-1F9D1-1F3FF", "1F9D1-200D-1F91D-200D-1F9D1")] // two people, two tones
    [InlineData("2764-fe0f", "2764")]
    public void Skin_tones_and_variation_selectors_do_not_split_a_group(string hexcode, string group) =>
        Assert.Equal(group, EmojiVariants.GroupOf(hexcode));

    [Fact]
    public void Different_emoji_stay_in_different_groups() =>
        Assert.NotEqual(EmojiVariants.GroupOf("1F64B-1F3FD-200D-2642-FE0F"), EmojiVariants.GroupOf("1F64B-1F3FD-200D-2640-FE0F"));
}
