using System.ComponentModel.DataAnnotations;

namespace RefineWeb.Generation;

/// <summary>
/// The body of POST /api/v1/realignments (and the hub's Realign): re-align a finished image with the prompt that made
/// it, its layout's regions included. Each phrase (or region) is scored on its own region; those that score low are
/// refined there and kept only where they score higher without another scoring lower.
/// </summary>
public sealed record RealignmentInput
{
    [Required] public string ImageId { get; init; } = "";
    /// <summary>The prompt to re-align with; null takes the image's own (an upload without settings needs one). A prompt given here drops the image's layout.</summary>
    public string? Prompt { get; init; }
    /// <summary>Seed of the first candidate (the others follow); null picks one at random.</summary>
    public long? Seed { get; init; }
}
