using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using RefineWeb.Data;
using RefineWeb.Data.Entities;

namespace RefineWeb.Gallery;

/// <summary>An access token as its owner sees it; <see cref="Token"/> only right after creation (only its hash is kept).</summary>
public sealed record AccessToken(string Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, string? Token = null);

/// <summary>
/// Personal access tokens: a script sends one as <c>Authorization: Bearer</c> (REST) or <c>access_token</c> (the hub)
/// and acts as the session that made it, with its gallery. A token is "rw_" and 256 random bits, base64url; the
/// database keeps only its SHA-256, as for share links. Revoking is a row update, checked on every request.
/// </summary>
public sealed class AccessTokenService(IDbContextFactory<GalleryDbContext> databases, TimeProvider clock, AccessTokenConnections connections)
{
    public const string Prefix = "rw_";
    public const int MaxNameLength = AccessTokenRecord.MaxNameLength, MaxPerSession = 20;
    const int TokenLength = 3 + 43; // prefix + 32 bytes in unpadded base64url
    static readonly TimeSpan LastUsedPrecision = TimeSpan.FromMinutes(1); // one write a minute per token, not one per request

    /// <summary>A new token named <paramref name="name"/>; null with a reason when the name is unusable or the session has too many.</summary>
    public async Task<(AccessToken? Token, string? Problem)> CreateAsync(Guid owner, string? name, CancellationToken cancellation = default)
    {
        name = name?.Trim() ?? "";
        if (name.Length == 0) return (null, "Give the token a name, such as the script or machine that will use it.");
        if (name.Length > MaxNameLength) return (null, $"The name is {name.Length} characters; at most {MaxNameLength}.");
        if (name.Any(char.IsControl)) return (null, "The name contains a control character; use plain text.");
        await using var db = await databases.CreateDbContextAsync(cancellation);
        if (await db.AccessTokens.CountAsync(t => t.OwnerId == owner && t.RevokedAt == null, cancellation) >= MaxPerSession)
            return (null, $"This session already has {MaxPerSession} tokens; revoke one first.");
        var token = Prefix + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var row = new AccessTokenRecord
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), OwnerId = owner, Name = name,
            TokenHash = HashOf(token), CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.AccessTokens.Add(row);
        await db.SaveChangesAsync(cancellation);
        return (Of(row) with { Token = token }, null);
    }

    /// <summary>The session's tokens that still work, newest first.</summary>
    public async Task<IReadOnlyList<AccessToken>> ListAsync(Guid owner, CancellationToken cancellation = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellation);
        var rows = await db.AccessTokens.AsNoTracking().Where(t => t.OwnerId == owner && t.RevokedAt == null)
            .OrderByDescending(t => t.CreatedAt).ToListAsync(cancellation);
        return [.. rows.Select(Of)];
    }

    /// <summary>Stops the token at once (its open hub connections close); false when the session has no such token.</summary>
    public async Task<bool> RevokeAsync(Guid owner, string id, CancellationToken cancellation = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellation);
        bool revoked = await db.AccessTokens.Where(t => t.Id == id && t.OwnerId == owner && t.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.RevokedAt, clock.GetUtcNow().UtcDateTime), cancellation) > 0;
        if (revoked) connections.Revoked(id);
        return revoked;
    }

    /// <summary>Whether the token with this id still works (not revoked).</summary>
    public async Task<bool> IsActiveAsync(string id, CancellationToken cancellation = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellation);
        return await db.AccessTokens.AnyAsync(t => t.Id == id && t.RevokedAt == null, cancellation);
    }

    /// <summary>The session a token belongs to and the token's id, or null for a malformed, unknown or revoked one.</summary>
    public async Task<(Guid Owner, string TokenId)?> FindAsync(string token, CancellationToken cancellation = default)
    {
        if (token.Length != TokenLength || !token.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        await using var db = await databases.CreateDbContextAsync(cancellation);
        var hash = HashOf(token);
        var row = await db.AccessTokens.FirstOrDefaultAsync(t => t.TokenHash == hash && t.RevokedAt == null, cancellation);
        if (row is null) return null;
        var now = clock.GetUtcNow().UtcDateTime;
        if (row.LastUsedAt is not { } last || now - last >= LastUsedPrecision)
        {
            row.LastUsedAt = now;
            await db.SaveChangesAsync(cancellation);
        }
        return (row.OwnerId, row.Id);
    }

    static AccessToken Of(AccessTokenRecord row) => new(row.Id, row.Name, new DateTimeOffset(row.CreatedAt, TimeSpan.Zero),
        row.LastUsedAt is { } used ? new DateTimeOffset(used, TimeSpan.Zero) : null);

    static string HashOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)));
}
