using Microsoft.EntityFrameworkCore;
using RefineWeb.Data;

namespace RefineWeb.Tests.Gallery;

/// <summary>The entities and their configurations describe exactly the schema the shipped migrations build (nothing to migrate).</summary>
public sealed class DataModelTests
{
    [Fact]
    public void The_sqlite_model_matches_its_migrations()
    {
        using var context = new SqliteGalleryDbContext(new DbContextOptionsBuilder<SqliteGalleryDbContext>().UseSqlite("Data Source=:memory:").Options);
        Assert.False(context.Database.HasPendingModelChanges());
        Assert.Equal(["20261122211852_InitialGallery", "20261202103105_AccessTokens"], context.Database.GetMigrations());
    }

    [Fact]
    public void The_postgresql_model_matches_its_migrations()
    {
        using var context = new PostgresGalleryDbContext(new DbContextOptionsBuilder<PostgresGalleryDbContext>().UseNpgsql("Host=127.0.0.1").Options);
        Assert.False(context.Database.HasPendingModelChanges());
        Assert.Equal(["20261122211904_InitialGallery", "20261202103125_AccessTokens"], context.Database.GetMigrations());
    }
}
