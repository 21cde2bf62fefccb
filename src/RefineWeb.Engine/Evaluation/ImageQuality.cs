using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Evaluation;

/// <summary>
/// Full-reference image quality of [B, 3, H, W] images in [-1, 1], both quantized to 8 bits first (as saved files
/// are). PSNR over all pixels and channels; SSIM as Wang et al. (2004): 11x11 Gaussian window (sigma 1.5),
/// K1 = 0.01, K2 = 0.03, per channel, valid positions only, averaged.
/// </summary>
public static class ImageQuality
{
    /// <summary>Mean PSNR in dB over the batch (each image's own MSE; identical images count as 100 dB).</summary>
    public static double Psnr(Tensor images, Tensor references)
    {
        using var scope = NewDisposeScope();
        var mse = (Quantize(images) - Quantize(references)).Power(2).mean([1, 2, 3]);
        var psnr = mse.AtLeast(1e-10).DividedInto(1.0).log10().Times(10).AtMost(100);
        return psnr.mean().item<double>();
    }

    /// <summary>Mean SSIM over the batch.</summary>
    public static double Ssim(Tensor images, Tensor references)
    {
        using var scope = NewDisposeScope();
        var x = Quantize(images);
        var y = Quantize(references);
        long channels = x.shape[1];
        int size = (int)Math.Min(11, Math.Min(x.shape[2], x.shape[3]));
        var window = GaussianWindow(size, 1.5).to(x.device).expand(channels, 1, size, size);
        Tensor Blur(Tensor t) => nn.functional.conv2d(t, window, groups: channels);
        const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
        var muX = Blur(x);
        var muY = Blur(y);
        var sigmaX = Blur(x * x) - muX * muX;
        var sigmaY = Blur(y * y) - muY * muY;
        var sigmaXy = Blur(x * y) - muX * muY;
        var map = (muX.Times(2) * muY).Plus(c1) * sigmaXy.Times(2).Plus(c2) / ((muX * muX).Plus(muY * muY).Plus(c1) * sigmaX.Plus(sigmaY).Plus(c2));
        return map.mean().item<double>();
    }

    /// <summary>
    /// Mean gradient magnitude over the batch: sqrt(dx² + dy²) of forward differences between neighbouring pixels,
    /// per channel, in 8-bit levels scaled to [0, 1]. Blur lowers it; an output's over its reference's is its edge fidelity.
    /// </summary>
    public static double EdgeStrength(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = Quantize(images);
        var dx = x[.., .., ..^1, 1..] - x[.., .., ..^1, ..^1];
        var dy = x[.., .., 1.., ..^1] - x[.., .., ..^1, ..^1];
        return dx.Power(2).Plus(dy.Power(2)).sqrt().mean().item<double>();
    }

    /// <summary>[-1, 1] to 8-bit levels, then to [0, 1].</summary>
    static Tensor Quantize(Tensor images) =>
        images.detach().to(ScalarType.Float64).Plus(1).Times(127.5).round().ClampTo(0, 255).Over(255.0);

    static Tensor GaussianWindow(int size, double sigma)
    {
        var coordinates = ScalarArguments.Range(0, size, ScalarType.Float64).Minus((size - 1) / 2.0);
        var g = (-(coordinates * coordinates)).Over(2 * sigma * sigma).exp();
        g = g / g.sum();
        return g.outer(g).view(1, 1, size, size);
    }
}
