namespace RefineWeb.Data.Entities;

/// <summary>A public link to one image, or to the whole gallery as it was when shared (<see cref="ImageId"/> null).</summary>
public sealed class ShareRecord
{
    public required string Id { get; init; }
    public Guid OwnerId { get; init; }
    public string? ImageId { get; init; }
    /// <summary>SHA-256 of the token (hex): the token itself is only ever in the link.</summary>
    public required string TokenHash { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? RevokedAt { get; set; }
}
