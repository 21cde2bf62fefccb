using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace RefineWeb.Tests;

/// <summary>
/// The real host, with the repository root as content root (top-level appsettings.json and wwwroot/), the model folder
/// pointed wherever a test wants, and its own gallery (SQLite file and image folder) in <see cref="DataDirectory"/>:
/// a fresh temporary one, or one a test hands over to see what survives a restart.
/// </summary>
public sealed class RefineWebFactory : WebApplicationFactory<Program>
{
    readonly string modelDirectory;
    readonly IReadOnlyDictionary<string, string> settings;
    readonly bool ownsData;
    readonly Action<IWebHostBuilder>? configure;

    public RefineWebFactory(string modelDirectory, IReadOnlyDictionary<string, string>? settings = null, string? dataDirectory = null,
        Action<IWebHostBuilder>? configure = null)
    {
        this.configure = configure;
        this.modelDirectory = modelDirectory;
        this.settings = settings ?? new Dictionary<string, string>();
        ownsData = dataDirectory is null;
        DataDirectory = dataDirectory ?? Directory.CreateTempSubdirectory("refineweb-data-").FullName;
        // The session cookie is Secure: clients talk to the test server over https, as browsers would.
        ClientOptions.BaseAddress = new Uri("https://localhost");
    }

    public string DataDirectory { get; }

    /// <summary>In a setting's value, stands for <see cref="DataDirectory"/> (not known before the factory exists).</summary>
    public const string DataPlaceholder = "{data}";

    /// <summary>A client with its own cookie jar: a browser session of its own.</summary>
    public (HttpClient Client, CookieJar Cookies) CreateSession()
    {
        var jar = new CookieJar();
        var client = new HttpClient(jar.Over(Server.CreateHandler())) { BaseAddress = ClientOptions.BaseAddress };
        return (client, jar);
    }

    public static string RepositoryRoot
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "RefineWeb.sln"))) directory = directory.Parent;
            return directory?.FullName ?? throw new InvalidOperationException("RefineWeb.sln not found above the test output.");
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(RepositoryRoot);
        builder.UseSetting("Model:Directory", modelDirectory);
        builder.UseSetting("ConnectionStrings:Gallery", $"Data Source={Path.Combine(DataDirectory, "gallery.db")}");
        builder.UseSetting("Gallery:ImageDirectory", Path.Combine(DataDirectory, "images"));
        foreach (var (key, value) in settings) builder.UseSetting(key, value.Replace(DataPlaceholder, DataDirectory));
        configure?.Invoke(builder);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (ownsData && Directory.Exists(DataDirectory)) Directory.Delete(DataDirectory, recursive: true);
    }
}
