using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using RefineWeb.Generation;

namespace RefineWeb.Benchmarks;

/// <summary>The real app on Kestrel (loopback, free port) with the shipped model, quiet logs, a throwaway gallery and
/// no creation rate limit (the benchmark is one session asking for many images) unless settings put one back.</summary>
sealed class BenchHost : WebApplicationFactory<Program>
{
    int? maxBatchImages;
    IReadOnlyDictionary<string, string> settings = new Dictionary<string, string>();
    readonly string data = Directory.CreateTempSubdirectory("refineweb-bench-").FullName;

    public string Address { get; private set; } = "";

    public string DataDirectory => data;

    public static async Task<BenchHost> StartAsync(int? maxBatchImages, IReadOnlyDictionary<string, string>? settings = null)
    {
        var host = new BenchHost { maxBatchImages = maxBatchImages, settings = settings ?? new Dictionary<string, string>() };
        host.UseKestrel(0);
        host.StartServer();
        // localhost, not 127.0.0.1: browsers accept the Secure session cookie from http://localhost only.
        host.Address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("127.0.0.1", "localhost");
        var models = host.Services.GetRequiredService<ModelHost>();
        await models.Loaded;
        if (models.LoadError is { } error) throw new InvalidOperationException(error);
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(RepositoryRoot());
        builder.UseEnvironment("Production");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("ConnectionStrings:Gallery", $"Data Source={Path.Combine(data, "gallery.db")}");
        builder.UseSetting("Gallery:ImageDirectory", Path.Combine(data, "images"));
        builder.UseSetting("Gallery:CreationsPerMinute", "1000000");
        builder.UseSetting("Gallery:CreationsPerMinutePerAddress", "1000000");
        builder.UseSetting("Generation:MaxQueuedPerSession", "1000");
        if (maxBatchImages is { } images) builder.UseSetting("Generation:MaxBatchImages", images.ToString());
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(data, recursive: true);
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "RefineWeb.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("RefineWeb.sln not found above the benchmark.");
    }
}
