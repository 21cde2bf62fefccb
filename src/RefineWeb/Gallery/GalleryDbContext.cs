using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace RefineWeb.Gallery;

/// <summary>
/// The gallery's tables and the data-protection keys that protect the session cookie (kept in the same database, so
/// every app server and every restart reads the same keys). One subclass per provider carries its own migrations.
/// </summary>
public abstract class GalleryDbContext(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<ImageRecord> Images => Set<ImageRecord>();
    public DbSet<ShareRecord> Shares => Set<ShareRecord>();
    public DbSet<AccessTokenRecord> AccessTokens => Set<AccessTokenRecord>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<ImageRecord>(image =>
        {
            image.HasKey(i => i.Id);
            image.Property(i => i.Id).HasMaxLength(32);
            image.Property(i => i.Origin).HasConversion<string>().HasMaxLength(16);
            image.Property(i => i.FileHash).HasMaxLength(64);
            image.Property(i => i.MaskFileHash).HasMaxLength(64);
            image.Property(i => i.Prompt).HasMaxLength(1000);
            image.HasIndex(i => new { i.OwnerId, i.CreatedAt });
            image.HasIndex(i => i.FileHash);
            image.HasOne<ImageRecord>().WithMany().HasForeignKey(i => i.ParentId).OnDelete(DeleteBehavior.SetNull);
        });
        model.Entity<ShareRecord>(share =>
        {
            share.HasKey(s => s.Id);
            share.Property(s => s.Id).HasMaxLength(32);
            share.Property(s => s.TokenHash).HasMaxLength(64);
            share.HasIndex(s => s.TokenHash).IsUnique();
            share.HasIndex(s => s.OwnerId);
            share.HasOne<ImageRecord>().WithMany().HasForeignKey(s => s.ImageId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<AccessTokenRecord>(token =>
        {
            token.HasKey(t => t.Id);
            token.Property(t => t.Id).HasMaxLength(32);
            token.Property(t => t.Name).HasMaxLength(AccessTokenService.MaxNameLength);
            token.Property(t => t.TokenHash).HasMaxLength(64);
            token.HasIndex(t => t.TokenHash).IsUnique();
            token.HasIndex(t => t.OwnerId);
        });
    }
}

public sealed class SqliteGalleryDbContext(DbContextOptions<SqliteGalleryDbContext> options) : GalleryDbContext(options);

public sealed class PostgresGalleryDbContext(DbContextOptions<PostgresGalleryDbContext> options) : GalleryDbContext(options);
