namespace RefineWeb.Data.Entities;

/// <summary>A personal access token of a session, for scripts (REST and hub) that cannot carry the browser's cookie.</summary>
public sealed class AccessTokenRecord
{
    public const int MaxNameLength = 100;

    public required string Id { get; init; }
    public Guid OwnerId { get; init; }
    /// <summary>What the person called it ("my laptop script").</summary>
    public required string Name { get; init; }
    /// <summary>SHA-256 of the token (hex): the token itself is shown once, at creation.</summary>
    public required string TokenHash { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}
