using System.ComponentModel.DataAnnotations;
namespace RefineWeb.Generation;

/// <summary>The body of POST /api/v1/refinements: re-refine the white region of <see cref="Mask"/> on an image.</summary>
public sealed record RefinementInput
{
    [Required] public string ParentImageId { get; init; } = "";
    /// <summary>PNG (base64 in JSON) the size of the parent (or exactly 2-4 times it): white = re-refine, black or transparent = keep.</summary>
    [Required] public byte[]? Mask { get; init; }
    [Required] public string Prompt { get; init; } = "";
    public string? NegativePrompt { get; init; }
    /// <summary>How much noise the region starts from: 0.3 (a light touch) to 1.0 (from scratch).</summary>
    public double Strength { get; init; } = 0.75;
    public long? Seed { get; init; }
    /// <summary>
    /// Pixels around the mask that blend softly (every pixel outside mask plus feather stays byte for byte); 0 is a
    /// hard edge; null takes <see cref="DefaultFeather"/> of the image's size.
    /// </summary>
    public int? Feather { get; init; }
    public int[]? Steps { get; init; }
    public double? GuidanceScale { get; init; }

    public const double MinStrength = 0.3, MaxStrength = 1.0;
    public const int MaxFeather = 16;

    /// <summary>
    /// A small soft edge, in proportion to the picture (about 3 %: 2 px at 64 px, 8 px at 256 px), so a refined region
    /// leaves no seam; the image UIs people know blur their masks by 4-16 px at 512-1024 px.
    /// </summary>
    public static int DefaultFeather(int side) => Math.Clamp(side / 32, 1, MaxFeather);
}

public enum UpscaleMode { Upscale, Refine }

/// <summary>The body of POST /api/v1/upscales: an (uploaded) image taken up the cascade, or refined at the working size.</summary>
public sealed record UpscaleInput
{
    [Required] public string ImageId { get; init; } = "";
    [Required] public string Prompt { get; init; } = "";
    public string? NegativePrompt { get; init; }
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
    public long? Seed { get; init; }
}
