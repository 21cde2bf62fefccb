using System.Formats.Tar;
using System.IO.Compression;
using RefineWeb.Datasets.Tools;

namespace RefineWeb.Datasets.Packages;

/// <summary>An npm package at a pinned version, fetched with <c>npm pack</c> (the registry is the only download).</summary>
public sealed record NpmPackage(string Name, string Version, string License)
{
    public string TarballName => $"{Name.TrimStart('@').Replace('/', '-')}-{Version}.tgz";

    static readonly ExternalTool Npm = new("npm", "Install Node.js and npm (on Debian: sudo apt-get install -y npm).");

    /// <summary>The package's tarball in <paramref name="cacheDirectory"/>, packed from the registry when not there yet.</summary>
    public async Task<string> FetchAsync(string cacheDirectory, CancellationToken cancellation = default)
    {
        // npm runs inside the cache folder, so a relative --pack-destination would point below it.
        cacheDirectory = Path.GetFullPath(cacheDirectory);
        Directory.CreateDirectory(cacheDirectory);
        var tarball = Path.Combine(cacheDirectory, TarballName);
        if (File.Exists(tarball)) return tarball;
        try
        {
            await Npm.RunAsync(["pack", $"{Name}@{Version}", "--silent", "--pack-destination", cacheDirectory], cacheDirectory, cancellation);
        }
        catch (ExternalToolException e)
        {
            throw new ExternalToolException($"Could not fetch {Name}@{Version} from the npm registry (is it reachable?). {e.Message}");
        }
        if (!File.Exists(tarball)) throw new ExternalToolException($"npm pack did not produce {tarball}.");
        return tarball;
    }

    /// <summary>Extracts the tarball's "package/" tree into <paramref name="destination"/> (once; a marker file records it).</summary>
    public static async Task<string> ExtractAsync(string tarball, string destination, CancellationToken cancellation = default)
    {
        var marker = Path.Combine(destination, ".extracted");
        if (File.Exists(marker)) return Path.Combine(destination, "package");
        if (Directory.Exists(destination)) Directory.Delete(destination, recursive: true);
        Directory.CreateDirectory(destination);
        await using (var file = File.OpenRead(tarball))
        await using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        {
            await TarFile.ExtractToDirectoryAsync(gzip, destination, overwriteFiles: true, cancellation);
        }
        await File.WriteAllTextAsync(marker, tarball, cancellation);
        return Path.Combine(destination, "package");
    }
}
