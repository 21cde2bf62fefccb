using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Regions;

/// <summary>
/// A prompt for one part of the picture (a layout's region): a rectangle in fractions of the picture's width and
/// height, so the same region covers the same part at every stage's size.
/// </summary>
public sealed record PromptRegion(string Prompt, double X, double Y, double Width, double Height)
{
    /// <summary>
    /// The region at <paramref name="resolution"/> px: [resolution, resolution], 1 on every pixel the rectangle
    /// touches (rounded outwards, so a small region keeps at least one pixel at the 16 px base), else 0.
    /// </summary>
    public Tensor MaskAt(int resolution, Device device)
    {
        int left = Math.Clamp((int)Math.Floor(X * resolution), 0, resolution - 1);
        int top = Math.Clamp((int)Math.Floor(Y * resolution), 0, resolution - 1);
        int right = Math.Clamp((int)Math.Ceiling((X + Width) * resolution), left + 1, resolution);
        int bottom = Math.Clamp((int)Math.Ceiling((Y + Height) * resolution), top + 1, resolution);
        var mask = zeros(resolution, resolution, device: device);
        mask[TensorIndex.Slice(top, bottom), TensorIndex.Slice(left, right)] = tensor(1f);
        return mask;
    }
}
