using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace RefineWeb.Engine.Requests;

/// <summary>
/// One region of a layout as a client writes it: what to draw there and where, a rectangle in fractions of the
/// picture (so it means the same at every stage's size). The request's own prompt covers the rest of the picture.
/// </summary>
public sealed record RegionInput
{
    [Required] public string Prompt { get; init; } = "";
    [Required] public RegionRect? Rect { get; init; }

    public override string ToString() => Rect is { } r
        ? string.Create(CultureInfo.InvariantCulture, $"{Prompt} @ {r.X:0.###},{r.Y:0.###} {r.Width:0.###}x{r.Height:0.###}") : Prompt;
}

/// <summary>A rectangle in fractions of the picture's width and height: x and y of its top left corner, from 0 to 1.</summary>
public sealed record RegionRect
{
    public double X { get; init; }
    public double Y { get; init; }
    public double Width { get; init; }
    public double Height { get; init; }
}
