namespace RefineWeb.Datasets.Colour;

/// <summary>What a recolouring did: the new pixels, and what it moved from where to where (for the manifest).</summary>
public sealed record RecolourResult(byte[] Rgba, string From, string To, double FromHue, int ChangedPixels, int ForegroundPixels)
{
    public string Description => $"recolour {From} -> {To}: hue {FromHue:F0} -> {Recolouring.TargetHue(To):F0}, {ChangedPixels} of {ForegroundPixels} px";
}

/// <summary>
/// Repaints the main colour of a picture: the pixels whose hue lies near the circular mean hue of its dominant colour
/// move to the target colour, keeping their shading (hue spread halved around the target, saturation and value mapped
/// into the target word's part of <see cref="ColourPalette"/>); everything else (the white background, black outlines,
/// greys, and the other colours, a green leaf on a red apple) keeps its bytes. Pure and deterministic.
/// </summary>
public static class Recolouring
{
    /// <summary>How far (degrees) from the dominant colour's mean hue a pixel still counts as that colour.</summary>
    public const double HueWindow = 25;
    /// <summary>Below this share of the foreground the "main colour" is a detail (the eyes of a black cat): no recolouring.</summary>
    public const double MinimumCoverage = 0.3;

    /// <summary>The hue a colour word is painted with (brown: a dark orange; black and white keep a trace of theirs).</summary>
    public static double TargetHue(string colour) => colour switch
    {
        ColourPalette.Red => 0,
        ColourPalette.Orange => 28,
        ColourPalette.Yellow => 52,
        ColourPalette.Green => 120,
        ColourPalette.Blue => 215,
        ColourPalette.Purple => 272,
        ColourPalette.Pink => 322,
        ColourPalette.Brown => 25,
        ColourPalette.Black or ColourPalette.White => 0,
        _ => throw new ArgumentException($"'{colour}' is not one of the colour words ({string.Join(", ", ColourPalette.Words)}).", nameof(colour)),
    };

    /// <summary>
    /// The picture (RGBA, opaque) with its main colour turned to <paramref name="target"/>; null when it has no main
    /// chromatic colour covering <see cref="MinimumCoverage"/> of the foreground, when it already is that colour, or
    /// when the result would not read as the target by <see cref="ColourPalette.Dominant"/>.
    /// </summary>
    public static RecolourResult? Recolour(ReadOnlySpan<byte> rgba, string target)
    {
        TargetHue(target); // validates the word
        var source = ColourPalette.Dominant(rgba);
        if (source is null || !ColourPalette.IsChromatic(source) || source == target) return null;

        double meanHue = MeanHue(rgba, source);
        var output = rgba.ToArray();
        int changed = 0, foreground = 0;
        for (int i = 0; i + 3 < output.Length; i += 4)
        {
            var p = Hsv.FromRgb(output[i], output[i + 1], output[i + 2]);
            if (ColourPalette.IsBackground(p)) continue;
            foreground++;
            if (!InMainColour(p, meanHue)) continue;
            var (r, g, b) = Paint(p, meanHue, target).ToRgb();
            (output[i], output[i + 1], output[i + 2]) = (r, g, b);
            changed++;
        }
        if (foreground == 0 || changed < MinimumCoverage * foreground) return null;
        if (ColourPalette.Dominant(output) != target) return null;
        return new RecolourResult(output, source, target, meanHue, changed, foreground);
    }

    static bool InMainColour(in Hsv p, double meanHue) =>
        p.Saturation >= 0.15 && p.Value >= 0.15 && HueDistance(p.Hue, meanHue) <= HueWindow;

    static Hsv Paint(in Hsv p, double meanHue, string target)
    {
        double offset = SignedHueDistance(p.Hue, meanHue) / 2;
        double hue = TargetHue(target) + offset;
        return target switch
        {
            ColourPalette.Orange or ColourPalette.Yellow => new(hue, p.Saturation, 0.64 + 0.36 * p.Value),
            ColourPalette.Pink => new(hue, 0.25 + 0.35 * p.Saturation, 0.8 + 0.2 * p.Value),
            ColourPalette.Brown => new(Math.Clamp(hue, 14, 40), Math.Max(p.Saturation, 0.55), 0.25 + 0.35 * p.Value),
            ColourPalette.Black => new(hue, 0.2 * p.Saturation, 0.04 + 0.15 * p.Value),
            ColourPalette.White => new(hue, 0.1 * p.Saturation, 0.82 + 0.1 * p.Value),
            _ => new(hue, p.Saturation, p.Value),
        };
    }

    /// <summary>The circular mean hue of the pixels of one colour word.</summary>
    static double MeanHue(ReadOnlySpan<byte> rgba, string colour)
    {
        double x = 0, y = 0;
        for (int i = 0; i + 3 < rgba.Length; i += 4)
        {
            var p = Hsv.FromRgb(rgba[i], rgba[i + 1], rgba[i + 2]);
            if (ColourPalette.Classify(p) != colour) continue;
            double radians = p.Hue * Math.PI / 180;
            x += p.Saturation * Math.Cos(radians);
            y += p.Saturation * Math.Sin(radians);
        }
        double mean = Math.Atan2(y, x) * 180 / Math.PI;
        return mean < 0 ? mean + 360 : mean;
    }

    static double SignedHueDistance(double hue, double from) => ((hue - from + 540) % 360) - 180;
    static double HueDistance(double a, double b) => Math.Abs(SignedHueDistance(a, b));
}
