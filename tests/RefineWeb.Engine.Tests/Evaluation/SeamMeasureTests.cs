using RefineWeb.Engine.Evaluation;
using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Evaluation;

public sealed class SeamMeasureTests
{
    static Tensor Square(int size, int from, int to)
    {
        var mask = zeros(size, size);
        mask[from..to, from..to] = 1;
        return mask;
    }

    [Fact]
    public void A_flat_patch_pasted_on_a_flat_picture_has_a_seam_of_the_colour_step_and_no_texture()
    {
        var red = stack([ScalarArguments.Full([32, 32], 1), ScalarArguments.Full([32, 32], -1), ScalarArguments.Full([32, 32], -1)]);
        var mask = Square(32, 8, 24);
        var pasted = red.clone();
        pasted[.., 8..24, 8..24] = stack([ScalarArguments.Full([16, 16], -0.2f), ScalarArguments.Full([16, 16], -0.2f), ScalarArguments.Full([16, 16], 0.6f)]); // a grey-blue square
        var score = SeamMeasure.Of(pasted, mask);
        // Red (255, 0, 0) against (102, 102, 204): steps of 153, 102 and 204 levels, 153 on average.
        Assert.Equal(153, score.Seam, 0.5);
        Assert.Equal(0, score.Texture, 1e-3);
        Assert.Equal(153, score.Excess, 0.5);
        Assert.Equal(153, score.ColourGap, 0.5);
        Assert.Equal(0, SeamMeasure.Of(red, mask).Excess, 1e-3); // the same border on the unedited picture: invisible
    }

    [Fact]
    public void A_smooth_gradient_through_the_border_steps_there_as_it_does_beside_it()
    {
        var ramp = linspace(-1, 1, 64).unsqueeze(0).expand(64, -1); // about 4 levels of 255 per pixel, left to right
        var image = stack([ramp, ramp, ramp]);
        var score = SeamMeasure.Of(image, Square(64, 16, 48));
        Assert.True(Math.Abs(score.Excess) < 0.5, $"excess {score.Excess}");
        Assert.True(score.Texture > 1, $"texture {score.Texture}");
    }

    [Fact]
    public void A_mask_without_a_border_or_of_another_size_is_refused()
    {
        var image = zeros(3, 16, 16);
        Assert.Throws<ArgumentException>(() => SeamMeasure.Of(image, zeros(16, 16)));
        Assert.Throws<ArgumentException>(() => SeamMeasure.Of(image, ones(16, 16)));
        Assert.Throws<ArgumentException>(() => SeamMeasure.Of(image, zeros(8, 8)));
    }
}
