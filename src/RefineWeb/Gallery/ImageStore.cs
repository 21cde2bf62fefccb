using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using RefineWeb.Generation;

namespace RefineWeb.Gallery;

/// <summary>
/// The gallery's images: rows in the database, bytes in <see cref="ImageFiles"/>. Files are written before the row
/// that points at them, so a crash leaves at worst a file nobody points at (removed on start), never a row without
/// its file. Every read and delete names the owner: another session's image is simply not there.
/// </summary>
public sealed class ImageStore(IDbContextFactory<GalleryDbContext> databases, ImageFiles files, GalleryNotifier notifier)
{
    // Content-addressed files are shared between rows: adding a row for a file and deleting a file's last row must
    // not interleave, or a new row could lose its file. (One process; see the README on several servers.)
    readonly SemaphoreSlim fileLock = new(1, 1);

    public async Task<StoredImage> AddAsync(Guid owner, byte[] png, int width, int height, ImageLineage lineage,
        ImageParameters? parameters = null, CancellationToken cancellation = default)
    {
        ImageRecord row;
        await fileLock.WaitAsync(cancellation);
        try
        {
            var hash = await files.WriteAsync(png, cancellation);
            var maskHash = lineage.MaskPng is { } mask ? await files.WriteAsync(mask, cancellation) : null;
            await using var db = await databases.CreateDbContextAsync(cancellation);
            // The parent may have been deleted while this image was being made: the lineage then ends here.
            var parent = lineage.ParentId is { } id && await db.Images.AnyAsync(i => i.Id == id && i.OwnerId == owner, cancellation) ? id : null;
            row = new ImageRecord
            {
                Id = NewId(), OwnerId = owner, CreatedAt = DateTime.UtcNow, Origin = lineage.Origin, Width = width, Height = height,
                FileHash = hash, MaskFileHash = maskHash, ParentId = parent, Prompt = lineage.Prompt ?? parameters?.Prompt,
                ParametersJson = parameters?.ToJson(),
            };
            db.Images.Add(row);
            await db.SaveChangesAsync(cancellation);
        }
        finally
        {
            fileLock.Release();
        }
        notifier.Notify(owner);
        return StoredImage.Of(row);
    }

    public async Task<StoredImage?> GetAsync(Guid owner, string id, CancellationToken cancellation = default) =>
        await FindAsync(owner, id, cancellation) is { } row ? StoredImage.Of(row) : null;

    public async Task<byte[]?> ReadPngAsync(Guid owner, string id, CancellationToken cancellation = default) =>
        await FindAsync(owner, id, cancellation) is { } row ? await files.ReadAsync(row.FileHash, cancellation) : null;

    public async Task<byte[]?> ReadMaskAsync(Guid owner, string id, CancellationToken cancellation = default) =>
        await FindAsync(owner, id, cancellation) is { MaskFileHash: { } mask } ? await files.ReadAsync(mask, cancellation) : null;

    /// <summary>The owner's images, newest first.</summary>
    public async Task<IReadOnlyList<StoredImage>> ListAsync(Guid owner, int? limit = null, CancellationToken cancellation = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellation);
        var query = db.Images.AsNoTracking().Where(i => i.OwnerId == owner).OrderByDescending(i => i.CreatedAt).ThenByDescending(i => i.Id);
        var rows = limit is { } n ? await query.Take(n).ToListAsync(cancellation) : await query.ToListAsync(cancellation);
        return [.. rows.Select(StoredImage.Of)];
    }

    /// <summary>The image's parent, grandparent, ... (nearest first), as far as they still exist.</summary>
    public async Task<IReadOnlyList<StoredImage>> AncestorsAsync(Guid owner, string id, int max = 8, CancellationToken cancellation = default)
    {
        var chain = new List<StoredImage>();
        var next = (await GetAsync(owner, id, cancellation))?.ParentId;
        while (next is not null && chain.Count < max && await GetAsync(owner, next, cancellation) is { } parent)
        {
            chain.Add(parent);
            next = parent.ParentId;
        }
        return chain;
    }

    /// <summary>Deletes the image, its share links and, when no other image uses them, its files. False when the owner has no such image.</summary>
    public async Task<bool> DeleteAsync(Guid owner, string id, CancellationToken cancellation = default)
    {
        await fileLock.WaitAsync(cancellation);
        try
        {
            await using var db = await databases.CreateDbContextAsync(cancellation);
            var row = await db.Images.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id && i.OwnerId == owner, cancellation);
            if (row is null) return false;
            await using (var transaction = await db.Database.BeginTransactionAsync(cancellation))
            {
                await db.Shares.Where(s => s.ImageId == id).ExecuteDeleteAsync(cancellation);
                await db.Images.Where(i => i.ParentId == id).ExecuteUpdateAsync(set => set.SetProperty(i => i.ParentId, (string?)null), cancellation);
                await db.Images.Where(i => i.Id == id).ExecuteDeleteAsync(cancellation);
                await transaction.CommitAsync(cancellation);
            }
            foreach (var hash in new[] { row.FileHash, row.MaskFileHash }.OfType<string>().Distinct())
                if (!await db.Images.AnyAsync(i => i.FileHash == hash || i.MaskFileHash == hash, cancellation)) files.Delete(hash);
        }
        finally
        {
            fileLock.Release();
        }
        notifier.Notify(owner);
        return true;
    }

    async Task<ImageRecord?> FindAsync(Guid owner, string id, CancellationToken cancellation)
    {
        if (!IsId(id)) return null;
        await using var db = await databases.CreateDbContextAsync(cancellation);
        return await db.Images.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id && i.OwnerId == owner, cancellation);
    }

    /// <summary>128 random bits: ids cannot be guessed.</summary>
    static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    internal static bool IsId(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);
}
