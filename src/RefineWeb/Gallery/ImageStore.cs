using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using RefineWeb.Generation;
using RefineWeb.Data;
using RefineWeb.Data.Entities;

namespace RefineWeb.Gallery;

/// <summary>
/// The gallery's images: rows in the database, bytes in <see cref="ImageFiles"/>. Files are written before the row
/// that points at them, so a crash leaves at worst a file nobody points at (removed on start), never a row without
/// its file. Every read and delete names the owner: another session's image is simply not there. A failed add or
/// delete changes nothing: an add removes the files it wrote when the row cannot be saved, and a delete commits only
/// once the files it would remove are moved aside (and puts them back if the commit fails).
/// </summary>
public sealed class ImageStore(IDbContextFactory<GalleryDbContext> databases, ImageFiles files, GalleryNotifier notifier, ILogger<ImageStore> log)
{
    // Content-addressed files are shared between rows: adding a row for a file and deleting a file's last row must
    // not interleave, or a new row could lose its file. One lock per file name (striped), not one for everything:
    // saving one job's image never waits for another's. (Per process: in a cluster, see the README's known limits.)
    readonly SemaphoreSlim[] fileLocks = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    /// <param name="id">
    /// Given for a job's result (<see cref="ResultId"/>): storing it again (a job run again after its worker died
    /// between storing and saying so) returns the row already there instead of a second one.
    /// </param>
    public async Task<StoredImage> AddAsync(Guid owner, byte[] png, int width, int height, ImageLineage lineage,
        ImageParameters? parameters = null, CancellationToken cancellation = default, string? id = null)
    {
        if (id is not null && await FindAsync(owner, id, cancellation) is { } existing) return StoredImage.Of(existing);
        ImageRecord row;
        var hash = ImageFiles.HashOf(png);
        var maskHash = lineage.MaskPng is { } maskPng ? ImageFiles.HashOf(maskPng) : null;
        using var locked = await LockAsync([hash, maskHash], cancellation);
        var written = new List<string>();
        try
        {
            if (!files.Exists(hash)) written.Add(hash);
            await files.WriteAsync(png, cancellation);
            if (lineage.MaskPng is { } mask && maskHash != hash)
            {
                if (!files.Exists(maskHash!)) written.Add(maskHash!);
                await files.WriteAsync(mask, cancellation);
            }
            await using var db = await databases.CreateDbContextAsync(cancellation);
            // The parent may have been deleted while this image was being made: the lineage then ends here.
            var parent = lineage.ParentId is { } parentId && await db.Images.AnyAsync(i => i.Id == parentId && i.OwnerId == owner, cancellation) ? parentId : null;
            row = new ImageRecord
            {
                Id = id ?? NewId(), OwnerId = owner, CreatedAt = DateTime.UtcNow, Origin = lineage.Origin.ToString(), Width = width, Height = height,
                FileHash = hash, MaskFileHash = maskHash, ParentId = parent, Prompt = lineage.Prompt ?? parameters?.Prompt,
                ParametersJson = parameters?.ToJson(),
            };
            db.Images.Add(row);
            await db.SaveChangesAsync(cancellation);
        }
        catch (DbUpdateException) when (id is not null)
        {
            // Another worker stored the same result at the same moment: its row points at the same bytes, so keep the files.
            if (await FindAsync(owner, id, CancellationToken.None) is { } stored) return StoredImage.Of(stored);
            foreach (var created in written) TryDelete(created);
            throw;
        }
        catch
        {
            // No row points at the files this call created (the lock keeps others from adding one meanwhile).
            foreach (var created in written) TryDelete(created);
            throw;
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
    public async Task<IReadOnlyList<StoredImage>> ListAsync(Guid owner, int? limit = null, CancellationToken cancellation = default, GalleryFilter? filter = null)
    {
        await using var db = await databases.CreateDbContextAsync(cancellation);
        var matching = db.Images.AsNoTracking().Where(i => i.OwnerId == owner);
        if (filter?.Text is { Length: > 0 } text)
        {
            // lower() on both sides: the same case-insensitive match on SQLite and PostgreSQL (whose LIKE is case-sensitive).
            var needle = text.Trim().ToLowerInvariant();
            matching = matching.Where(i => i.Prompt != null && i.Prompt.ToLower().Contains(needle));
        }
        if (filter?.Origin?.ToString() is { } origin) matching = matching.Where(i => i.Origin == origin);
        var query = matching.OrderByDescending(i => i.CreatedAt).ThenByDescending(i => i.Id);
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
        if (await FindAsync(owner, id, cancellation) is not { } found) return false;
        using var locked = await LockAsync([found.FileHash, found.MaskFileHash], cancellation);
        await using var db = await databases.CreateDbContextAsync(cancellation);
        var row = await db.Images.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id && i.OwnerId == owner, cancellation);
        if (row is null) return false;
        var aside = new List<string>();
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellation))
        {
            try
            {
                await db.Shares.Where(s => s.ImageId == id).ExecuteDeleteAsync(cancellation);
                await db.Images.Where(i => i.ParentId == id).ExecuteUpdateAsync(set => set.SetProperty(i => i.ParentId, (string?)null), cancellation);
                await db.Images.Where(i => i.Id == id).ExecuteDeleteAsync(cancellation);
                foreach (var hash in new[] { row.FileHash, row.MaskFileHash }.OfType<string>().Distinct())
                    if (!await db.Images.AnyAsync(i => i.FileHash == hash || i.MaskFileHash == hash, cancellation) && files.Exists(hash))
                    {
                        files.MoveAside(hash); // throws when the folder cannot be written: nothing is committed then
                        aside.Add(hash);
                    }
                await transaction.CommitAsync(CancellationToken.None);
            }
            catch
            {
                foreach (var hash in aside) files.Restore(hash);
                throw;
            }
        }
        foreach (var hash in aside) files.DeleteAside(hash); // a leftover is an orphan, removed on the next start
        notifier.Notify(owner);
        return true;
    }

    /// <summary>The locks of these file names, in a fixed order (no deadlock between two calls).</summary>
    async Task<IDisposable> LockAsync(string?[] hashes, CancellationToken cancellation)
    {
        var stripes = hashes.OfType<string>().Select(h => Convert.ToInt32(h[..2], 16) % fileLocks.Length).Distinct().Order().ToList();
        var taken = new List<SemaphoreSlim>();
        try
        {
            foreach (var stripe in stripes)
            {
                await fileLocks[stripe].WaitAsync(cancellation);
                taken.Add(fileLocks[stripe]);
            }
        }
        catch
        {
            foreach (var l in taken) l.Release();
            throw;
        }
        return new Releaser(taken);
    }

    sealed class Releaser(List<SemaphoreSlim> locks) : IDisposable
    {
        public void Dispose()
        {
            foreach (var l in locks) l.Release();
        }
    }

    void TryDelete(string hash)
    {
        try
        {
            files.Delete(hash);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning(e, "Could not remove the unused image file {Hash}; it is removed on the next start", hash);
        }
    }

    async Task<ImageRecord?> FindAsync(Guid owner, string id, CancellationToken cancellation)
    {
        if (!IsId(id)) return null;
        await using var db = await databases.CreateDbContextAsync(cancellation);
        return await db.Images.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id && i.OwnerId == owner, cancellation);
    }

    /// <summary>128 random bits: ids cannot be guessed.</summary>
    /// <summary>The id of a job's <paramref name="index"/>th image: the same every time the job runs, as unguessable as the job's id.</summary>
    public static string ResultId(string jobId, int index) =>
        Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{jobId}/{index}")))[..32];

    static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    internal static bool IsId(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);
}
