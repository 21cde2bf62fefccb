using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace RefineWeb.Data;

// `dotnet ef migrations add` builds the contexts through these, without starting the web host (scripts/add-migration.sh).

sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteGalleryDbContext>
{
    public SqliteGalleryDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteGalleryDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresGalleryDbContext>
{
    public PostgresGalleryDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresGalleryDbContext>().UseNpgsql("Host=localhost;Database=refineweb").Options);
}
