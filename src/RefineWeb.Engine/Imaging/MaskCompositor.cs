namespace RefineWeb.Engine.Imaging;

/// <summary>
/// Puts a refined region back onto its parent in 8-bit pixels, so that what the user did not paint is
/// byte-identical to the parent whatever the network did (Fooocus-style compositing; written here because it is a few
/// lines over our own pixel type). With a feather radius f, pixels within distance f of the mask blend linearly;
/// pixels further away are the parent's exactly.
/// </summary>
public static class MaskCompositor
{
    /// <summary>Per-pixel weight of the refined image: 1 in the mask, falling to 0 at distance feather + 1.</summary>
    public static float[] Weights(bool[] mask, int width, int height, int feather)
    {
        if (mask.Length != width * height) throw new ArgumentException($"The mask has {mask.Length} pixels, the picture {width * height}.");
        if (feather < 0) throw new ArgumentOutOfRangeException(nameof(feather), "The feather radius cannot be negative.");
        var weights = new float[mask.Length];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                if (mask[y * width + x])
                {
                    weights[y * width + x] = 1;
                    continue;
                }
                double nearest = double.PositiveInfinity;
                for (int dy = -feather; dy <= feather; dy++)
                    for (int dx = -feather; dx <= feather; dx++)
                    {
                        int u = x + dx, v = y + dy;
                        if (u < 0 || v < 0 || u >= width || v >= height || !mask[v * width + u]) continue;
                        nearest = Math.Min(nearest, Math.Sqrt(dx * dx + dy * dy));
                    }
                if (nearest <= feather) weights[y * width + x] = (float)(1 - nearest / (feather + 1));
            }
        return weights;
    }

    /// <summary>The region the sampler may repaint: the mask grown by the feather band, which the composite then blends.</summary>
    public static bool[] Editable(bool[] mask, int width, int height, int feather) =>
        [.. Weights(mask, width, height, feather).Select(w => w > 0)];

    public static RgbImage Composite(RgbImage parent, RgbImage refined, bool[] mask, int feather)
    {
        if ((parent.Width, parent.Height) != (refined.Width, refined.Height))
            throw new ArgumentException($"The refined picture is {refined.Width}x{refined.Height}, its parent {parent.Width}x{parent.Height}.");
        var weights = Weights(mask, parent.Width, parent.Height, feather);
        var pixels = (byte[])parent.Pixels.Clone();
        for (int p = 0; p < weights.Length; p++)
        {
            float w = weights[p];
            if (w == 0) continue;
            for (int c = 0; c < 3; c++)
            {
                int i = p * 3 + c;
                pixels[i] = (byte)Math.Round(parent.Pixels[i] * (1 - w) + refined.Pixels[i] * w);
            }
        }
        return parent with { Pixels = pixels };
    }
}
