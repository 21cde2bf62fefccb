using RefineWeb.Engine.Imaging;

namespace RefineWeb.Generation;

public enum EditKind
{
    /// <summary>Re-refine the masked region of an image.</summary>
    RefineRegion,
    /// <summary>Scale an image to the working size and refine all of it.</summary>
    RefineWhole,
    /// <summary>Enter the cascade at the image's size; the refiners take it up.</summary>
    Upscale,
}

/// <summary>
/// A refinement or upscale, checked and decoded when it was submitted: the picture it starts from (already at the
/// size the engine works on), the mask the user painted and the editable region around it.
/// </summary>
public sealed record EditPlan(EditKind Kind, string SourceId, RgbImage Source, double Strength,
    bool[]? Mask = null, bool[]? Editable = null, int Feather = 0, byte[]? MaskPng = null);
