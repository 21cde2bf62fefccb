using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using RefineWeb.Data;
using RefineWeb.Data.Entities;

namespace RefineWeb.Gallery;

/// <summary>A share link as its owner sees it; <see cref="Token"/> only right after creation (only its hash is kept).</summary>
public sealed record ShareLink(string Id, string? ImageId, DateTimeOffset CreatedAt, string? Token = null)
{
    public string? Path => Token is null ? null : ShareService.PathOf(Token);
}

/// <summary>What a share link shows: one image, or the gallery as it was when shared.</summary>
public sealed record SharedView(ShareLink Share, IReadOnlyList<StoredImage> Images);

/// <summary>
/// Public read-only links. A token is 128 random bits, URL-safe; the database holds only its SHA-256, so a leaked
/// database does not open anyone's gallery. Revocation is a row update, checked on every request.
/// </summary>
public sealed class ShareService(IDbContextFactory<GalleryDbContext> databases, ImageFiles files)
{
    public const string PathPrefix = "/s/";
    const int TokenLength = 22; // 16 bytes in unpadded base64url

    public static string PathOf(string token) => PathPrefix + token;

    /// <summary>A new link to <paramref name="imageId"/>, or to the whole gallery when null; null when the owner has no such image.</summary>
    public async Task<ShareLink?> CreateAsync(Guid owner, string? imageId, CancellationToken cancellation = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellation);
        if (imageId is not null && (!ImageStore.IsId(imageId) || !await db.Images.AnyAsync(i => i.Id == imageId && i.OwnerId == owner, cancellation)))
            return null;
        var token = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        var row = new ShareRecord
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), OwnerId = owner, ImageId = imageId,
            TokenHash = HashOf(token), CreatedAt = DateTime.UtcNow,
        };
        db.Shares.Add(row);
        await db.SaveChangesAsync(cancellation);
        return Link(row) with { Token = token };
    }

    /// <summary>The owner's links that still work, newest first.</summary>
    public async Task<IReadOnlyList<ShareLink>> ListAsync(Guid owner, CancellationToken cancellation = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellation);
        var rows = await db.Shares.AsNoTracking().Where(s => s.OwnerId == owner && s.RevokedAt == null)
            .OrderByDescending(s => s.CreatedAt).ToListAsync(cancellation);
        return [.. rows.Select(Link)];
    }

    /// <summary>Stops the link at once; false when the owner has no such link.</summary>
    public async Task<bool> RevokeAsync(Guid owner, string shareId, CancellationToken cancellation = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellation);
        return await db.Shares.Where(s => s.Id == shareId && s.OwnerId == owner && s.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.RevokedAt, DateTime.UtcNow), cancellation) > 0;
    }

    /// <summary>What the link shows, or null for an unknown or revoked token.</summary>
    public async Task<SharedView?> OpenAsync(string token, CancellationToken cancellation = default)
    {
        if (token.Length != TokenLength) return null;
        await using var db = await databases.CreateDbContextAsync(cancellation);
        var hash = HashOf(token);
        var share = await db.Shares.AsNoTracking().FirstOrDefaultAsync(s => s.TokenHash == hash && s.RevokedAt == null, cancellation);
        if (share is null) return null;
        var images = db.Images.AsNoTracking().Where(i => i.OwnerId == share.OwnerId);
        images = share.ImageId is { } one ? images.Where(i => i.Id == one) : images.Where(i => i.CreatedAt <= share.CreatedAt);
        var rows = await images.OrderByDescending(i => i.CreatedAt).ThenByDescending(i => i.Id).ToListAsync(cancellation);
        return new SharedView(Link(share), [.. rows.Select(StoredImage.Of)]);
    }

    /// <summary>An image's bytes through a link, or null when the link does not show that image.</summary>
    public async Task<byte[]?> ReadPngAsync(string token, string imageId, CancellationToken cancellation = default)
    {
        if (await OpenAsync(token, cancellation) is not { } view || view.Images.All(i => i.Id != imageId)) return null;
        await using var db = await databases.CreateDbContextAsync(cancellation);
        var hash = await db.Images.Where(i => i.Id == imageId).Select(i => i.FileHash).FirstAsync(cancellation);
        return await files.ReadAsync(hash, cancellation);
    }

    static ShareLink Link(ShareRecord row) => new(row.Id, row.ImageId, new DateTimeOffset(row.CreatedAt, TimeSpan.Zero));

    static string HashOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)));
}
