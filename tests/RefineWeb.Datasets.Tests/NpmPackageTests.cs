using RefineWeb.Datasets.Packages;

namespace RefineWeb.Datasets.Tests;

/// <summary>
/// Fetching runs npm itself: a stand-in <c>npm</c> first on PATH behaves as the real one does with
/// <c>pack --pack-destination</c> (the destination is taken relative to npm's working directory and must exist).
/// </summary>
public sealed class NpmPackageTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("refineweb-npm-").FullName;
    readonly string? path = Environment.GetEnvironmentVariable("PATH");

    public NpmPackageTests()
    {
        var bin = Directory.CreateDirectory(Path.Combine(root, "bin")).FullName;
        var npm = Path.Combine(bin, "npm");
        File.WriteAllText(npm, """
            #!/bin/sh
            while [ $# -gt 0 ]; do [ "$1" = "--pack-destination" ] && dest="$2"; shift; done
            [ -d "$dest" ] || { echo "ENOENT: no such directory, $dest" >&2; exit 254; }
            printf 'tarball' > "$dest/emojibase-data-17.0.0.tgz"
            """.Replace("\r", ""));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(npm, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Environment.SetEnvironmentVariable("PATH", bin + Path.PathSeparator + path);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("PATH", path);
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task A_relative_cache_folder_receives_the_tarball()
    {
        var cache = Path.GetRelativePath(Environment.CurrentDirectory, Path.Combine(root, "data", "npm"));

        var tarball = await new NpmPackage("emojibase-data", "17.0.0", "MIT").FetchAsync(cache);

        Assert.Equal(Path.Combine(root, "data", "npm", "emojibase-data-17.0.0.tgz"), tarball);
        Assert.Equal("tarball", await File.ReadAllTextAsync(tarball));
    }
}
