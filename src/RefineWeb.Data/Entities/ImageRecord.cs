namespace RefineWeb.Data.Entities;

/// <summary>One gallery image: the row that points at its content-addressed PNG (and mask) file.</summary>
public sealed class ImageRecord
{
    public required string Id { get; init; }
    /// <summary>The session that made it (an account later: sessions are owners, so accounts can take them over).</summary>
    public Guid OwnerId { get; init; }
    public DateTime CreatedAt { get; init; }
    /// <summary>How the image came to be ("Generated", "Refined", "Upscaled", "Uploaded": the web app's ImageOrigin by name).</summary>
    public required string Origin { get; init; }
    public int Width { get; init; }
    public int Height { get; init; }
    public required string FileHash { get; init; }
    public string? MaskFileHash { get; init; }
    /// <summary>What it was refined or upscaled from; cleared when that image is deleted.</summary>
    public string? ParentId { get; set; }
    public string? Prompt { get; init; }
    /// <summary>The <see cref="ImageParameters"/> it was made with, as JSON (null for an upload without any).</summary>
    public string? ParametersJson { get; init; }
}
