using RefineWeb.Engine.Evaluation;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Evaluation;

public class ImageQualityTests
{
    [Fact]
    public void Psnr_of_a_known_error_matches_the_formula_and_identical_images_score_the_cap()
    {
        using var scope = NewDisposeScope();
        var reference = zeros(1, 3, 8, 8); // level 127.5 -> rounds to 128
        var shifted = full(new long[] { 1, 3, 8, 8 }, 10 / 127.5f); // +10 levels everywhere
        Assert.Equal(20 * Math.Log10(255.0 / 10), ImageQuality.Psnr(shifted, reference), 6);
        Assert.Equal(100, ImageQuality.Psnr(reference, reference));
    }

    [Fact]
    public void Ssim_is_one_for_identical_images_and_drops_with_blur_and_noise()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var image = (rand(2, 3, 32, 32) * 2 - 1).sign(); // high-contrast texture
        var blurred = nn.functional.avg_pool2d(image, 3, 1, 1);
        var noisy = (image + randn_like(image) * 0.5).clamp(-1, 1);
        Assert.Equal(1.0, ImageQuality.Ssim(image, image), 9);
        double blur = ImageQuality.Ssim(blurred, image), noise = ImageQuality.Ssim(noisy, image);
        Assert.InRange(blur, 0.01, 0.95);
        Assert.InRange(noise, 0.01, 0.95);
        Assert.True(ImageQuality.Ssim(nn.functional.avg_pool2d(image, 5, 1, 2), image) < blur, "more blur must score lower");
    }
}
