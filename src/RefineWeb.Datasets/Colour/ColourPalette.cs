namespace RefineWeb.Datasets.Colour;

/// <summary>
/// The ten colour words the emoji captions use, and which of them a pixel shows: a fixed partition of HSV space
/// (hue sectors for the chromatic words, darkness for brown and black, low saturation for white), so the data
/// build (which object has which colour, did a recolouring land) and the composition evaluation (did the picture
/// come out in the asked colour) judge colour the same way. Near-white pixels are background and count as none.
/// </summary>
public static class ColourPalette
{
    public const string Red = "red", Orange = "orange", Yellow = "yellow", Green = "green", Blue = "blue",
        Purple = "purple", Brown = "brown", Black = "black", White = "white", Pink = "pink";

    /// <summary>Every colour word, in the order of the hue circle, then the achromatic ones.</summary>
    public static readonly IReadOnlyList<string> Words = [Red, Orange, Yellow, Green, Blue, Purple, Pink, Brown, Black, White];

    /// <summary>Colours told by hue; black and white (and grey) have none to speak of.</summary>
    public static bool IsChromatic(string colour) => colour is not (Black or White);

    /// <summary>Background: the white the pictures stand on (and anti-aliasing into it).</summary>
    public static bool IsBackground(in Hsv p) => p.Value >= 0.94 && p.Saturation <= 0.07;

    /// <summary>The colour word of one pixel, or null for background and mid greys.</summary>
    public static string? Classify(byte r, byte g, byte b) => Classify(Hsv.FromRgb(r, g, b));

    public static string? Classify(in Hsv p)
    {
        if (IsBackground(p)) return null;
        if (p.Value < 0.22) return Black;
        if (p.Saturation < 0.2) return p.Value >= 0.8 ? White : null;
        double h = p.Hue;
        if (h is >= 10 and < 45 && p.Value < 0.62) return Brown;
        if (h is (< 10 or >= 340) && p.Saturation < 0.5 && p.Value > 0.8) return Pink; // light red
        return h switch
        {
            < 10 => Red,
            < 40 => Orange,
            < 70 => Yellow,
            < 165 => Green,
            < 250 => Blue,
            < 290 => Purple,
            < 340 => p.Value < 0.7 ? Purple : Pink, // magenta: dark is purple (CSS "purple"), light is pink
            _ => Red,
        };
    }

    /// <summary>
    /// Pixel counts per colour word over an RGBA buffer (or RGB with <paramref name="channels"/> 3), background left
    /// out; <paramref name="foreground"/> is every non-background pixel (greys included).
    /// </summary>
    public static Dictionary<string, int> Histogram(ReadOnlySpan<byte> rgba, out int foreground, int channels = 4)
    {
        var counts = Words.ToDictionary(w => w, _ => 0);
        foreground = 0;
        for (int i = 0; i + 2 < rgba.Length; i += channels)
        {
            var p = Hsv.FromRgb(rgba[i], rgba[i + 1], rgba[i + 2]);
            if (IsBackground(p)) continue;
            foreground++;
            if (Classify(p) is { } colour) counts[colour]++;
        }
        return counts;
    }

    /// <summary>
    /// The colour a person would name the picture by: the most frequent chromatic colour when chromatic pixels are at
    /// least a fifth of the foreground (black outlines and white highlights do not make a red apple black or white),
    /// else the more frequent of black and white; null for an empty or grey picture.
    /// </summary>
    public static string? Dominant(ReadOnlySpan<byte> rgba, int channels = 4)
    {
        var counts = Histogram(rgba, out int foreground, channels);
        if (foreground == 0) return null;
        var chromatic = counts.Where(kv => IsChromatic(kv.Key)).MaxBy(kv => kv.Value);
        int chromaticTotal = counts.Where(kv => IsChromatic(kv.Key)).Sum(kv => kv.Value);
        if (chromaticTotal > 0 && chromaticTotal * 5 >= foreground) return chromatic.Key;
        var achromatic = counts[Black] >= counts[White] ? Black : White;
        return counts[achromatic] > 0 ? achromatic : null;
    }

    /// <summary>The words of a caption that are colour words, as written (lower case).</summary>
    public static bool IsColourWord(string word) => Words.Contains(word, StringComparer.OrdinalIgnoreCase);
}

/// <summary>A colour in HSV: hue in degrees [0, 360), saturation and value in [0, 1].</summary>
public readonly record struct Hsv(double Hue, double Saturation, double Value)
{
    public static Hsv FromRgb(byte r, byte g, byte b)
    {
        int max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b));
        double delta = max - min;
        double value = max / 255.0, saturation = max == 0 ? 0 : delta / max;
        double hue = 0;
        if (delta > 0)
        {
            if (max == r) hue = 60 * ((g - b) / delta);
            else if (max == g) hue = 60 * ((b - r) / delta + 2);
            else hue = 60 * ((r - g) / delta + 4);
            if (hue < 0) hue += 360;
        }
        return new Hsv(hue, saturation, value);
    }

    public (byte R, byte G, byte B) ToRgb()
    {
        double h = ((Hue % 360) + 360) % 360 / 60, s = Math.Clamp(Saturation, 0, 1), v = Math.Clamp(Value, 0, 1);
        double c = v * s, x = c * (1 - Math.Abs(h % 2 - 1)), m = v - c;
        var (r, g, b) = (int)h switch
        {
            0 => (c, x, 0.0),
            1 => (x, c, 0.0),
            2 => (0.0, c, x),
            3 => (0.0, x, c),
            4 => (x, 0.0, c),
            _ => (c, 0.0, x),
        };
        return (ToByte(r + m), ToByte(g + m), ToByte(b + m));
    }

    static byte ToByte(double unit) => (byte)Math.Clamp(Math.Round(unit * 255), 0, 255);
}
