using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Evaluation;

/// <summary>
/// How visible the border of a refined region is, in 0-255 levels (mean over R, G, B).
/// <see cref="Seam"/>: the mean step between two neighbouring pixels on either side of the mask's border;
/// <see cref="Texture"/>: the mean step between neighbours near the border (within <see cref="SeamMeasure.Band"/> px)
/// on the same side; <see cref="ColourGap"/>: the distance between the mean colours of the band inside and the band
/// outside. A pasted patch has a seam well above the texture; a region that blends has about the same.
/// </summary>
/// <param name="InsideStep">The mean step between neighbours both inside the region: its sharpness (a blurred region has less).</param>
public sealed record SeamScore(double Seam, double Texture, double ColourGap, double InsideStep)
{
    /// <summary>How much more the border steps than its surroundings do: 0 = invisible.</summary>
    public double Excess => Seam - Texture;
}

/// <summary>Measures <see cref="SeamScore"/> for a picture and the mask of the region that was refined.</summary>
public static class SeamMeasure
{
    /// <summary>Width of the bands beside the border, in pixels.</summary>
    public const int Band = 4;

    /// <param name="image">[3, H, W] in [-1, 1].</param>
    /// <param name="mask">[H, W], above 0 where the region was refined.</param>
    public static SeamScore Of(Tensor image, Tensor mask)
    {
        using var scope = NewDisposeScope();
        if (image.dim() != 3 || mask.dim() != 2 || image.shape[1] != mask.shape[0] || image.shape[2] != mask.shape[1])
            throw new ArgumentException("The image must be [3, H, W] and the mask [H, W] of the same size.");
        var inside = mask.GreaterThan(0).to(ScalarType.Float32);
        var levels = image.to(ScalarType.Float32).Times(127.5); // [-1, 1] spans 255 levels

        // Steps between horizontal and vertical neighbours (mean over channels), and which pairs straddle the border.
        var stepX = (levels[.., .., 1..] - levels[.., .., ..^1]).abs().mean([0]);
        var stepY = (levels[.., 1.., ..] - levels[.., ..^1, ..]).abs().mean([0]);
        var acrossX = (inside[.., 1..] - inside[.., ..^1]).abs();
        var acrossY = (inside[1.., ..] - inside[..^1, ..]).abs();
        double borderPairs = acrossX.sum().Plus(acrossY.sum()).item<float>();
        if (borderPairs == 0) throw new ArgumentException("The mask has no border inside the picture (it is empty or covers everything).");

        // Pixels on the border, widened into a band on both sides.
        var onBorder = zeros_like(inside);
        onBorder[.., 1..].PlusInPlace(acrossX);
        onBorder[.., ..^1].PlusInPlace(acrossX);
        onBorder[1.., ..].PlusInPlace(acrossY);
        onBorder[..^1, ..].PlusInPlace(acrossY);
        var band = nn.functional.max_pool2d(onBorder.GreaterThan(0).to(ScalarType.Float32).unsqueeze(0).unsqueeze(0), 2 * Band + 1, stride: 1, padding: Band).squeeze(0).squeeze(0);
        var sameSideX = band[.., 1..] * band[.., ..^1] * acrossX.SubtractedFrom(1);
        var sameSideY = band[1.., ..] * band[..^1, ..] * acrossY.SubtractedFrom(1);

        double seam = (stepX * acrossX).sum().Plus((stepY * acrossY).sum()).item<float>() / borderPairs;
        double texturePairs = sameSideX.sum().Plus(sameSideY.sum()).item<float>();
        double texture = texturePairs == 0 ? 0 : (stepX * sameSideX).sum().Plus((stepY * sameSideY).sum()).item<float>() / texturePairs;

        var bandInside = band * inside;
        var bandOutside = band * inside.SubtractedFrom(1);
        var meanInside = (levels * bandInside).sum([1, 2]) / bandInside.sum().AtLeast(1);
        var meanOutside = (levels * bandOutside).sum([1, 2]) / bandOutside.sum().AtLeast(1);
        double gap = (meanInside - meanOutside).abs().mean().item<float>();
        var insideX = inside[.., 1..] * inside[.., ..^1];
        var insideY = inside[1.., ..] * inside[..^1, ..];
        double insidePairs = insideX.sum().Plus(insideY.sum()).item<float>();
        double insideStep = insidePairs == 0 ? 0 : (stepX * insideX).sum().Plus((stepY * insideY).sum()).item<float>() / insidePairs;
        return new SeamScore(seam, texture, gap, insideStep);
    }
}
