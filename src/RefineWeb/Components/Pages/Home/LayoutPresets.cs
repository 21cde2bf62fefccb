using System.Globalization;

namespace RefineWeb.Components.Pages.Home;

/// <summary>The layouts the page offers (halves, thirds, quadrants, a centre), and each region's colour on the page.</summary>
public static class LayoutPresets
{
    public sealed record Preset(string Name, IReadOnlyList<RegionRect> Rects);

    static RegionRect Rect(double x, double y, double width, double height) => new() { X = x, Y = y, Width = width, Height = height };

    public static readonly IReadOnlyList<Preset> All =
    [
        new("Left | right", [Rect(0, 0, 0.5, 1), Rect(0.5, 0, 0.5, 1)]),
        new("Top / bottom", [Rect(0, 0, 1, 0.5), Rect(0, 0.5, 1, 0.5)]),
        new("Thirds", [Rect(0, 0, 1 / 3.0, 1), Rect(1 / 3.0, 0, 1 / 3.0, 1), Rect(2 / 3.0, 0, 1 / 3.0, 1)]),
        new("Quadrants", [Rect(0, 0, 0.5, 0.5), Rect(0.5, 0, 0.5, 0.5), Rect(0, 0.5, 0.5, 0.5), Rect(0.5, 0.5, 0.5, 0.5)]),
        new("Centre", [Rect(0.25, 0.25, 0.5, 0.5)]),
    ];

    /// <summary>Six colours a region is told apart by (then again from the first), readable on light and dark.</summary>
    static readonly string[] Colours = ["#e53935", "#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#00897b"];

    public static string Colour(int index) => Colours[index % Colours.Length];

    /// <summary>Where a rectangle is, in words: "left half", "top right quarter", "centre", else its fractions.</summary>
    public static string Describe(RegionRect r) => (r.X, r.Y, r.Width, r.Height) switch
    {
        (0, 0, 0.5, 1) => "left half",
        (0.5, 0, 0.5, 1) => "right half",
        (0, 0, 1, 0.5) => "top half",
        (0, 0.5, 1, 0.5) => "bottom half",
        (0, 0, 0.5, 0.5) => "top left quarter",
        (0.5, 0, 0.5, 0.5) => "top right quarter",
        (0, 0.5, 0.5, 0.5) => "bottom left quarter",
        (0.5, 0.5, 0.5, 0.5) => "bottom right quarter",
        (0.25, 0.25, 0.5, 0.5) => "centre",
        _ when Math.Abs(r.Width - 1 / 3.0) < 1e-9 && r.Height == 1 => r.X < 0.3 ? "left third" : r.X < 0.6 ? "middle third" : "right third",
        _ => string.Create(CultureInfo.InvariantCulture, $"x {r.X:0.##}, y {r.Y:0.##}, {r.Width:0.##} x {r.Height:0.##}"),
    };
}
