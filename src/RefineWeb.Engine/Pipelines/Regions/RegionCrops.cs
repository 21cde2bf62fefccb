using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Regions;

/// <summary>
/// What a layout's region shows, as a picture the alignment model can judge on its own: the region's bounding box cut
/// out, everything outside the region (the rest of the box, for a painted one) white as the training pictures'
/// background, centred on a white square and scaled back to the picture's size.
/// </summary>
public static class RegionCrops
{
    /// <summary>One crop per region of <paramref name="image"/> [3, S, S] in [-1, 1]: [R, 3, S, S].</summary>
    public static Tensor Of(Tensor image, IReadOnlyList<PromptRegion> regions)
    {
        if (image.dim() != 3 || image.shape[1] != image.shape[2]) throw new ArgumentException("Expected one square picture [3, S, S].", nameof(image));
        int size = (int)image.shape[2];
        using var scope = NewDisposeScope();
        var crops = new List<Tensor>();
        foreach (var region in regions)
        {
            var inside = region.MaskAt(size, image.device);
            var kept = (image * inside).Plus(inside.SubtractedFrom(1)); // white outside the region
            var (left, top, right, bottom) = region.PixelBox(size);
            int width = right - left, height = bottom - top, side = Math.Max(width, height);
            var square = ones(3, side, side, device: image.device);
            int offsetX = (side - width) / 2, offsetY = (side - height) / 2;
            square[TensorIndex.Colon, TensorIndex.Slice(offsetY, offsetY + height), TensorIndex.Slice(offsetX, offsetX + width)] =
                kept[TensorIndex.Colon, TensorIndex.Slice(top, bottom), TensorIndex.Slice(left, right)];
            crops.Add(side == size ? square : nn.functional.interpolate(square.unsqueeze(0), [size, size], mode: InterpolationMode.Area).squeeze(0));
        }
        return stack(crops, 0).MoveToOuterDisposeScope();
    }
}
