using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using RefineWeb.Data.Entities;

namespace RefineWeb.Data;

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

    // One IEntityTypeConfiguration per entity, in Configurations/.
    protected override void OnModelCreating(ModelBuilder model) => model.ApplyConfigurationsFromAssembly(typeof(GalleryDbContext).Assembly);
}

public sealed class SqliteGalleryDbContext(DbContextOptions<SqliteGalleryDbContext> options) : GalleryDbContext(options);

public sealed class PostgresGalleryDbContext(DbContextOptions<PostgresGalleryDbContext> options) : GalleryDbContext(options);
