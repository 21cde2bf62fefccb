using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace RefineWeb.Engine.Requests;

/// <summary>
/// One region of a layout as a client writes it: what to draw there and where, either a rectangle in fractions of the
/// picture or a painted mask (a square PNG as base64, white inside), each meaning the same at every stage's size.
/// The request's own prompt covers the rest of the picture.
/// </summary>
public sealed record RegionInput
{
    [Required] public string Prompt { get; init; } = "";
    public RegionRect? Rect { get; init; }
    /// <summary>A painted region: a square PNG (16 to 1024 px) as base64, white where the region is; instead of <see cref="Rect"/>.</summary>
    public string? Mask { get; init; }
    /// <summary>How strongly the region follows its own prompt over the request's (above 0, at most 2; null: 1, wholly).</summary>
    public double? Weight { get; init; }
    /// <summary>What the region steers away from; null or blank: the request's negative prompt.</summary>
    public string? NegativePrompt { get; init; }

    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<RegionInput, RegionRect> paintedBounds = new();

    /// <summary>Where the region lies: its rectangle, or a painted mask's bounding box (decoded once); null for a mask that does not decode.</summary>
    public RegionRect? Bounds()
    {
        if (Rect is { } rect) return rect;
        if (paintedBounds.TryGetValue(this, out var known)) return known;
        var (mask, side, _) = Imaging.RegionMask.Decode(Mask);
        if (mask is null) return null;
        var region = Pipelines.Regions.PromptRegion.Of(Prompt, mask, side);
        var bounds = new RegionRect { X = region.X, Y = region.Y, Width = region.Width, Height = region.Height };
        paintedBounds.AddOrUpdate(this, bounds);
        return bounds;
    }

    /// <summary>This (validated) region as the pipeline's: its rectangle, or its painted mask decoded; its weight and negative prompt.</summary>
    public Pipelines.Regions.PromptRegion ToPromptRegion()
    {
        string? negative = string.IsNullOrWhiteSpace(NegativePrompt) ? null : NegativePrompt.Trim();
        var prompt = Text.PromptEmphasis.Parse(Prompt); // its plain words, and what it emphasizes
        if (Rect is { } rect)
            return new Pipelines.Regions.PromptRegion(prompt.Text, rect.X, rect.Y, rect.Width, rect.Height)
            {
                Weight = Weight ?? 1, NegativePrompt = negative, Emphasis = prompt.Phrases,
            };
        var (mask, side, problem) = Imaging.RegionMask.Decode(Mask);
        return mask is null ? throw new ArgumentException(problem, nameof(Mask))
            : Pipelines.Regions.PromptRegion.Of(prompt.Text, mask, side) with { Weight = Weight ?? 1, NegativePrompt = negative, Emphasis = prompt.Phrases };
    }

    public override string ToString()
    {
        string prompt = Weight is { } w && w != 1 ? string.Create(CultureInfo.InvariantCulture, $"{Prompt} x{w:0.##}") : Prompt;
        if (!string.IsNullOrWhiteSpace(NegativePrompt)) prompt += $" (not {NegativePrompt.Trim()})";
        return Rect is { } r
            ? string.Create(CultureInfo.InvariantCulture, $"{prompt} @ {r.X:0.###},{r.Y:0.###} {r.Width:0.###}x{r.Height:0.###}")
            : Mask is not null ? $"{prompt} @ painted mask" : prompt;
    }
}

/// <summary>A rectangle in fractions of the picture's width and height: x and y of its top left corner, from 0 to 1.</summary>
public sealed record RegionRect
{
    public double X { get; init; }
    public double Y { get; init; }
    public double Width { get; init; }
    public double Height { get; init; }
}
