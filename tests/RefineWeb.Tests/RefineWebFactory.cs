using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace RefineWeb.Tests;

/// <summary>The real host, with the repository root as content root (top-level appsettings.json and wwwroot/) and
/// the model folder pointed wherever a test wants.</summary>
public sealed class RefineWebFactory(string modelDirectory, IReadOnlyDictionary<string, string>? settings = null) : WebApplicationFactory<Program>
{
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
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) builder.UseSetting(key, value);
    }
}
