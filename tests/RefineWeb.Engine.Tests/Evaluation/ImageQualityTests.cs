using RefineWeb.Engine.Evaluation;
using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Evaluation;

public class ImageQualityTests
{
    [Fact]
    public void Psnr_of_a_known_error_matches_the_formula_and_identical_images_score_the_cap()
    {
        using var scope = NewDisposeScope();
        var reference = zeros(1, 3, 8, 8); // level 127.5 -> rounds to 128
        var shifted = ScalarArguments.Full([1, 3, 8, 8], 10 / 127.5f); // +10 levels everywhere
        Assert.Equal(20 * Math.Log10(255.0 / 10), ImageQuality.Psnr(shifted, reference), 6);
        Assert.Equal(100, ImageQuality.Psnr(reference, reference));
    }

    [Fact]
    public void Ssim_is_one_for_identical_images_and_drops_with_blur_and_noise()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var image = rand(2, 3, 32, 32).Times(2).Minus(1).sign(); // high-contrast texture
        var blurred = nn.functional.avg_pool2d(image, 3, 1, 1);
        var noisy = image.Plus(randn_like(image).Times(0.5)).ClampTo(-1, 1);
        Assert.Equal(1.0, ImageQuality.Ssim(image, image), 9);
        double blur = ImageQuality.Ssim(blurred, image), noise = ImageQuality.Ssim(noisy, image);
        Assert.InRange(blur, 0.01, 0.95);
        Assert.InRange(noise, 0.01, 0.95);
        Assert.True(ImageQuality.Ssim(nn.functional.avg_pool2d(image, 5, 1, 2), image) < blur, "more blur must score lower");
    }

    [Fact]
    public void Edge_strength_of_a_hand_made_line_matches_the_count_and_blur_lowers_it()
    {
        using var scope = NewDisposeScope();
        // A 5x5 black picture with one white column in the middle: of the 4x4 positions with both neighbours, each row
        // steps up by the full range (1) into the line and down out of it, and nothing changes down a column.
        var line = ScalarArguments.Full([1, 3, 5, 5], -1);
        line[.., .., .., 2] = ones(1, 3, 5);
        Assert.Equal(8.0 / 16, ImageQuality.EdgeStrength(line), 9);
        Assert.Equal(0, ImageQuality.EdgeStrength(zeros(1, 3, 5, 5)));

        // Blurred (3-wide box), the line is a third as bright and three times as wide: each row rises and falls by a third.
        var blurred = nn.functional.avg_pool2d(line, 3, 1, 1, count_include_pad: false);
        Assert.Equal(4 * 2 * (85 / 255.0) / 16, ImageQuality.EdgeStrength(blurred), 9);
    }
}
