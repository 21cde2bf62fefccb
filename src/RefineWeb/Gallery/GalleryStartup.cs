using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RefineWeb.Data;
using RefineWeb.Data.Entities;

namespace RefineWeb.Gallery;

/// <summary>Before the app takes requests: create or migrate the database, then remove files no row points at.</summary>
public static class GalleryStartup
{
    public static async Task InitializeGalleryAsync(this IServiceProvider services, CancellationToken cancellation = default)
    {
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GalleryStartup));
        await using (var db = await services.GetRequiredService<IDbContextFactory<GalleryDbContext>>().CreateDbContextAsync(cancellation))
        {
            await db.Database.MigrateAsync(cancellation);
            // SQLite: write-ahead logging (kept in the file once set) lets pages read while an image is being saved,
            // and makes each save one sync instead of several.
            if (db.Database.IsSqlite()) await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellation);
        }
        int removed = await RemoveOrphansAsync(services, cancellation);
        if (removed > 0) log.LogInformation("Removed {Count} image files that no gallery row points at", removed);
    }

    /// <summary>Deletes files older than the grace period that no image row names (left by a crash between file and row).</summary>
    public static async Task<int> RemoveOrphansAsync(IServiceProvider services, CancellationToken cancellation = default)
    {
        var files = services.GetRequiredService<ImageFiles>();
        var grace = services.GetRequiredService<IOptions<GalleryOptions>>().Value.OrphanGracePeriod;
        await using var db = await services.GetRequiredService<IDbContextFactory<GalleryDbContext>>().CreateDbContextAsync(cancellation);
        var used = (await db.Images.Select(i => i.FileHash).ToListAsync(cancellation))
            .Concat(await db.Images.Where(i => i.MaskFileHash != null).Select(i => i.MaskFileHash!).ToListAsync(cancellation))
            .ToHashSet();
        int removed = 0;
        foreach (var (hash, path, writtenAt) in files.List().ToList())
        {
            if (used.Contains(hash) || DateTime.UtcNow - writtenAt < grace) continue;
            File.Delete(path);
            removed++;
        }
        return removed;
    }
}
