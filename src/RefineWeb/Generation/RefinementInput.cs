using System.ComponentModel.DataAnnotations;
using RefineWeb.Engine.Requests;

namespace RefineWeb.Generation;

/// <summary>The body of POST /api/v1/refinements: re-refine the white region of <see cref="Mask"/> on an image, with the shared settings.</summary>
public sealed record RefinementInput : PromptSettings
{
    [Required] public string ParentImageId { get; init; } = "";
    /// <summary>
    /// PNG (base64 in JSON) the size of the parent (or exactly 2-4 times it): white = re-refine, black or transparent =
    /// keep. May be left out when <see cref="Regions"/> are given: their union is then the region re-refined.
    /// </summary>
    public byte[]? Mask { get; init; }
    /// <summary>
    /// A layout drawn on the picture: each region's prompt inside it, <see cref="PromptSettings.Prompt"/> in the rest of
    /// the mask; the regions are re-refined (with the mask, if one is given), everything else is kept.
    /// </summary>
    public RegionInput[]? Regions { get; init; }
    /// <summary>How much noise the region starts from: 0.3 (a light touch) to 1.0 (from scratch).</summary>
    public double Strength { get; init; } = Engine.Pipelines.Cascade.RefinementRequest.DefaultStrength;
    /// <summary>
    /// Pixels around the mask that blend softly (every pixel outside mask plus feather stays byte for byte); 0 is a
    /// hard edge; null takes <see cref="GenerationLimits.DefaultFeather"/> of the image's size.
    /// </summary>
    public int? Feather { get; init; }
}

public enum UpscaleMode { Upscale, Refine }

/// <summary>The body of POST /api/v1/upscales: an (uploaded) image taken up the cascade, or refined at the working size, with the shared settings.</summary>
public sealed record UpscaleInput : PromptSettings
{
    [Required] public string ImageId { get; init; } = "";
    /// <summary>upscale: enter the cascade at the stage of the image's size and let the refiners take it up;
    /// refine: scale it to the model's working size and refine all of it with the prompt.</summary>
    public UpscaleMode Mode { get; init; } = UpscaleMode.Upscale;
    /// <summary>Refine mode only.</summary>
    public double Strength { get; init; } = 0.6;
    /// <summary>
    /// Upscale mode only: how many times larger the result is than the stage the picture enters at (2, 4, 8, ...: a
    /// size the model has); null takes it to the model's largest size.
    /// </summary>
    public int? Factor { get; init; }
}
