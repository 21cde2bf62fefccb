using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Training;
using static TorchSharp.torch;
using Placement = RefineWeb.Engine.Training.SyntheticLayouts.Placement;

namespace RefineWeb.Engine.Tests.Training;

/// <summary>Synthetic layouts: where each emoji lands on the canvas, and which region a row's layout and loss cover.</summary>
public sealed class SyntheticLayoutsTests
{
    // Flat colours make every pixel's owner plain: the row's own picture is 0.5, the other picture -0.5 (white is 1).
    static (Tensor Own, Tensor OwnSmall, Tensor Other, Tensor OtherSmall) Pictures(int rows, int side) =>
        (ScalarArguments.Full([rows, 3, side, side], 0.5), ScalarArguments.Full([rows, 3, side / 2, side / 2], 0.5), ScalarArguments.Full([rows, 3, side, side], -0.5), ScalarArguments.Full([rows, 3, side / 2, side / 2], -0.5));

    /// <summary>A [r, r] plane as text, one line per pixel row, each pixel as <paramref name="symbol"/> names it.</summary>
    static string Grid(Tensor plane, Func<float, char> symbol)
    {
        var values = plane.data<float>().ToArray();
        int side = (int)plane.shape[0];
        return string.Join("\n", Enumerable.Range(0, side).Select(y => new string([.. Enumerable.Range(0, side).Select(x => symbol(values[y * side + x]))])));
    }

    /// <summary>The first channel of a row: o own, x other, . white.</summary>
    static string Drawn(Tensor pictures, int row) => Grid(pictures[row, 0], v => v switch { 0.5f => 'o', -0.5f => 'x', 1f => '.', _ => '?' });

    /// <summary>A row's region: # inside.</summary>
    static string Region(Tensor layout, int row) => Grid(layout[row, 0], v => v == 1 ? '#' : '.');

    [Fact]
    public void Side_by_side_each_emoji_is_centred_in_its_half_and_the_row_owns_its_own_half()
    {
        using var scope = NewDisposeScope();
        var (own, ownSmall, other, otherSmall) = Pictures(2, 8);
        var (pictures, layout) = SyntheticLayouts.Compose(own, ownSmall, other, otherSmall, [Placement.Left, Placement.Bottom]);
        Assert.Equal("""
            ........
            ........
            ooooxxxx
            ooooxxxx
            ooooxxxx
            ooooxxxx
            ........
            ........
            """.ReplaceLineEndings("\n"), Drawn(pictures, 0));
        Assert.Equal("""
            ####....
            ####....
            ####....
            ####....
            ####....
            ####....
            ####....
            ####....
            """.ReplaceLineEndings("\n"), Region(layout, 0));
        Assert.Equal("""
            ..xxxx..
            ..xxxx..
            ..xxxx..
            ..xxxx..
            ..oooo..
            ..oooo..
            ..oooo..
            ..oooo..
            """.ReplaceLineEndings("\n"), Drawn(pictures, 1));
        Assert.Equal("""
            ........
            ........
            ........
            ........
            ########
            ########
            ########
            ########
            """.ReplaceLineEndings("\n"), Region(layout, 1));
    }

    [Fact]
    public void In_the_centre_the_emoji_sits_on_the_other_drawn_whole_and_a_whole_row_is_left_as_it_was()
    {
        using var scope = NewDisposeScope();
        var (own, ownSmall, other, otherSmall) = Pictures(2, 8);
        ownSmall[0, .., 0, 0].Fill(1); // a corner of white ground: the emoji beneath shows there, not a white box
        var (pictures, layout) = SyntheticLayouts.Compose(own, ownSmall, other, otherSmall, [Placement.Centre, Placement.Whole]);
        Assert.Equal("""
            xxxxxxxx
            xxxxxxxx
            xxxoooxx
            xxooooxx
            xxooooxx
            xxooooxx
            xxxxxxxx
            xxxxxxxx
            """.ReplaceLineEndings("\n"), Drawn(pictures, 0));
        Assert.Equal(16, layout[0].sum().item<float>());
        Assert.Equal(1, layout[0, 0, 2, 2].item<float>());
        Assert.True(pictures[1].equal(own[1]).all().item<bool>());
        Assert.Equal(64, layout[1].sum().item<float>());
        Assert.True(own.equal(ScalarArguments.Full([2, 3, 8, 8], 0.5)).all().item<bool>(), "the inputs were changed");
    }

    [Fact]
    public void The_share_decides_how_many_rows_become_layouts()
    {
        using var generator = new Generator(3);
        Assert.All(SyntheticLayouts.Draw(64, 0, generator), p => Assert.Equal(Placement.Whole, p));
        var all = SyntheticLayouts.Draw(400, 1, generator);
        Assert.DoesNotContain(Placement.Whole, all);
        Assert.Equal(5, all.Distinct().Count()); // every kind comes up
        int half = SyntheticLayouts.Draw(400, 0.5, generator).Count(p => p != Placement.Whole);
        Assert.InRange(half, 160, 240);
    }
}
