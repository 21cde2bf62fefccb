using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Regions;

/// <summary>
/// A prompt for one part of the picture (a layout's region): a rectangle in fractions of the picture's width and
/// height, or a painted mask (<see cref="Of"/>; the rectangle is then its bounding box), so the same region covers the
/// same part at every stage's size.
/// </summary>
public sealed record PromptRegion(string Prompt, double X, double Y, double Width, double Height)
{
    /// <summary>How strongly the region follows its own prompt over the global one (1: wholly; <see cref="RegionalPrompts.Blend"/>).</summary>
    public double Weight { get; init; } = 1;

    /// <summary>What the region steers away from (its own unconditional prompt); null: the request's negative prompt.</summary>
    public string? NegativePrompt { get; init; }

    /// <summary>Emphasized phrases of <see cref="Prompt"/> (its plain words), whose tokens get that share of the region's cross-attention; empty: none.</summary>
    public IReadOnlyList<Text.EmphasizedPhrase> Emphasis { get; init; } = [];

    /// <summary>The painted region, <see cref="MaskSide"/> x <see cref="MaskSide"/>, row by row (true inside); null: the rectangle.</summary>
    public bool[]? Mask { get; private init; }
    public int MaskSide { get; private init; }

    /// <summary>A painted region: <paramref name="mask"/> is <paramref name="side"/> x <paramref name="side"/>, true inside (at least one pixel).</summary>
    public static PromptRegion Of(string prompt, bool[] mask, int side)
    {
        if (side < 1 || mask.Length != side * side) throw new ArgumentException($"The mask must have {side} x {side} pixels.", nameof(mask));
        int left = side, top = side, right = -1, bottom = -1;
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
                if (mask[y * side + x]) (left, top, right, bottom) = (Math.Min(left, x), Math.Min(top, y), Math.Max(right, x), Math.Max(bottom, y));
        if (right < 0) throw new ArgumentException("The mask covers no pixel.", nameof(mask));
        return new PromptRegion(prompt, (double)left / side, (double)top / side, (double)(right + 1 - left) / side, (double)(bottom + 1 - top) / side)
        {
            Mask = mask, MaskSide = side,
        };
    }

    /// <summary>
    /// The region at <paramref name="resolution"/> px: [resolution, resolution], 1 on every pixel the region touches
    /// (rounded outwards: a pixel whose block of the mask holds any painted pixel is in, so a small region keeps at
    /// least one pixel at the 16 px base), else 0.
    /// </summary>
    public Tensor MaskAt(int resolution, Device device) =>
        tensor(Pixels(resolution).Select(inside => inside ? 1f : 0f).ToArray(), [resolution, resolution], device: device);

    /// <summary>The region at <paramref name="resolution"/> px as <see cref="MaskAt"/> makes it, row by row (true inside), without a tensor.</summary>
    public bool[] Pixels(int resolution)
    {
        if (Mask is { } painted) return PooledMask(painted, MaskSide, resolution);
        var (left, top, right, bottom) = PixelBox(resolution);
        var pixels = new bool[resolution * resolution];
        for (int y = top; y < bottom; y++)
            for (int x = left; x < right; x++) pixels[y * resolution + x] = true;
        return pixels;
    }

    /// <summary>
    /// The rectangle (a painted region's bounding box) in pixels at <paramref name="resolution"/>: rounded outwards, at
    /// least one pixel, inside the picture; right and bottom exclusive.
    /// </summary>
    public (int Left, int Top, int Right, int Bottom) PixelBox(int resolution)
    {
        int left = Math.Clamp((int)Math.Floor(X * resolution), 0, resolution - 1);
        int top = Math.Clamp((int)Math.Floor(Y * resolution), 0, resolution - 1);
        int right = Math.Clamp((int)Math.Ceiling((X + Width) * resolution), left + 1, resolution);
        int bottom = Math.Clamp((int)Math.Ceiling((Y + Height) * resolution), top + 1, resolution);
        return (left, top, right, bottom);
    }

    /// <summary>Max-pooling over each output pixel's block of the mask (blocks overlap where the sizes do not divide).</summary>
    static bool[] PooledMask(bool[] mask, int side, int resolution)
    {
        var pooled = new bool[resolution * resolution];
        for (int y = 0; y < resolution; y++)
        {
            int fromY = y * side / resolution, toY = Math.Max(fromY + 1, ((y + 1) * side + resolution - 1) / resolution);
            for (int x = 0; x < resolution; x++)
            {
                int fromX = x * side / resolution, toX = Math.Max(fromX + 1, ((x + 1) * side + resolution - 1) / resolution);
                bool any = false;
                for (int my = fromY; my < toY && !any; my++)
                    for (int mx = fromX; mx < toX && !any; mx++)
                        any = mask[my * side + mx];
                pooled[y * resolution + x] = any;
            }
        }
        return pooled;
    }
}
