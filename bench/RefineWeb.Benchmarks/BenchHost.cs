using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using RefineWeb.Generation;

namespace RefineWeb.Benchmarks;

/// <summary>The real app on Kestrel (loopback, free port) with the shipped model, quiet logs.</summary>
sealed class BenchHost : WebApplicationFactory<Program>
{
    int? maxBatchImages;

    public string Address { get; private set; } = "";

    public static async Task<BenchHost> StartAsync(int? maxBatchImages)
    {
        var host = new BenchHost { maxBatchImages = maxBatchImages };
        host.UseKestrel(0);
        host.StartServer();
        host.Address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
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
        if (maxBatchImages is { } images) builder.UseSetting("Generation:MaxBatchImages", images.ToString());
    }

    static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "RefineWeb.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("RefineWeb.sln not found above the benchmark.");
    }
}
