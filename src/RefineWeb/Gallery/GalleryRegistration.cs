using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RefineWeb.Data;
using RefineWeb.Data.Entities;

namespace RefineWeb.Gallery;

public static class GalleryRegistration
{
    /// <summary>Database (SQLite or PostgreSQL), image files, sessions, share links, rate limits.</summary>
    public static void AddGallery(this WebApplicationBuilder builder) =>
        builder.Services.AddGallery(builder.Configuration, builder.Environment.ContentRootPath);

    /// <summary>The same outside a web host (tests, tools): paths are relative to <paramref name="root"/>.</summary>
    public static void AddGallery(this IServiceCollection services, IConfiguration configuration, string root)
    {
        services.AddOptions<GalleryOptions>().BindConfiguration(GalleryOptions.Section);
        var options = configuration.GetSection(GalleryOptions.Section).Get<GalleryOptions>() ?? new GalleryOptions();
        var connection = configuration.GetConnectionString("Gallery");
        switch (options.Provider)
        {
            case GalleryProvider.Sqlite:
                var sqlite = SqliteConnection(connection, root);
                AddContext<SqliteGalleryDbContext>(services, o => o.UseSqlite(sqlite));
                break;
            case GalleryProvider.PostgreSql:
                if (string.IsNullOrWhiteSpace(connection))
                    throw new InvalidOperationException("Gallery:Provider is PostgreSql but ConnectionStrings:Gallery is empty: set it to an Npgsql connection string.");
                AddContext<PostgresGalleryDbContext>(services, o => o.UseNpgsql(connection));
                break;
        }
        services.AddSingleton(sp => new ImageFiles(Path.GetFullPath(sp.GetRequiredService<IOptions<GalleryOptions>>().Value.ImageDirectory, root)));
        services.AddSingleton<GalleryNotifier>();
        services.AddSingleton<ImageStore>();
        services.AddSingleton<ShareService>();
        services.AddSessions();
    }

    /// <summary>Registers the provider's context both as itself (for data protection) and behind the shared factory type.</summary>
    static void AddContext<TContext>(IServiceCollection services, Action<DbContextOptionsBuilder> configure) where TContext : GalleryDbContext
    {
        services.AddDbContextFactory<TContext>(configure);
        services.AddSingleton<IDbContextFactory<GalleryDbContext>>(sp => new Upcast<TContext>(sp.GetRequiredService<IDbContextFactory<TContext>>()));
        services.AddDataProtection().SetApplicationName("RefineWeb").PersistKeysToDbContext<TContext>();
    }

    /// <summary>The SQLite file relative to the content root, its folder created (default data/gallery.db).</summary>
    static string SqliteConnection(string? connection, string root)
    {
        var builder = new SqliteConnectionStringBuilder(string.IsNullOrWhiteSpace(connection) ? "Data Source=data/gallery.db" : connection);
        if (builder.DataSource is not (":memory:" or ""))
        {
            builder.DataSource = Path.GetFullPath(builder.DataSource, root);
            Directory.CreateDirectory(Path.GetDirectoryName(builder.DataSource)!);
        }
        return builder.ToString();
    }

    sealed class Upcast<TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<GalleryDbContext> where TContext : GalleryDbContext
    {
        public GalleryDbContext CreateDbContext() => inner.CreateDbContext();
    }
}
