using RefineWeb.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RefineWeb.Gallery;

namespace RefineWeb.Tests;

/// <summary>
/// The gallery's real services on a real database: a fresh SQLite file, or a fresh database on the PostgreSQL server
/// that scripts/test.sh starts on 127.0.0.1 (its connection string in REFINEWEB_TEST_POSTGRES). Dropped at the end.
/// </summary>
public sealed class TestGallery : IAsyncDisposable
{
    public const string PostgresVariable = "REFINEWEB_TEST_POSTGRES";

    readonly ServiceProvider services;

    TestGallery(ServiceProvider services, string directory)
    {
        this.services = services;
        Directory = directory;
    }

    public string Directory { get; }
    public ImageStore Images => services.GetRequiredService<ImageStore>();
    public ShareService Shares => services.GetRequiredService<ShareService>();
    public ImageFiles Files => services.GetRequiredService<ImageFiles>();
    public GalleryNotifier Notifier => services.GetRequiredService<GalleryNotifier>();
    public IServiceProvider Services => services;

    public static async Task<TestGallery> CreateAsync(GalleryProvider provider = GalleryProvider.Sqlite, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("refineweb-gallery-").FullName;
        var configuration = new Dictionary<string, string?>
        {
            ["Gallery:Provider"] = provider.ToString(),
            ["Gallery:ImageDirectory"] = Path.Combine(directory, "images"),
            ["ConnectionStrings:Gallery"] = provider == GalleryProvider.Sqlite
                ? $"Data Source={Path.Combine(directory, "gallery.db")}"
                : $"{PostgresServer()};Database=refineweb_test_{Guid.NewGuid():N}",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) configuration[key] = value;
        var collection = new ServiceCollection();
        var config = new ConfigurationBuilder().AddInMemoryCollection(configuration).Build();
        collection.AddSingleton<IConfiguration>(config);
        collection.AddLogging();
        collection.AddGallery(config, directory);
        var gallery = new TestGallery(collection.BuildServiceProvider(), directory);
        await gallery.services.InitializeGalleryAsync();
        return gallery;
    }

    /// <summary>The test PostgreSQL server, or a failure that says how to get one.</summary>
    public static string PostgresServer() => Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } server ? server
        : throw new InvalidOperationException($"{PostgresVariable} is not set: run the tests with scripts/test.sh, which starts PostgreSQL on 127.0.0.1 and sets it.");

    public async ValueTask DisposeAsync()
    {
        await using (var db = await services.GetRequiredService<IDbContextFactory<GalleryDbContext>>().CreateDbContextAsync())
            if (db.Database.ProviderName!.Contains("Npgsql")) await db.Database.EnsureDeletedAsync();
        await services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
