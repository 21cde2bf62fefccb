using System.Security.Cryptography;

namespace RefineWeb.Gallery;

/// <summary>
/// PNG files named by the SHA-256 of their bytes (<c>ab/abcdef….png</c>): the same picture is stored once, and a file
/// is complete before it gets its name (written to a temporary file, flushed, then renamed).
/// </summary>
public sealed class ImageFiles(string root)
{
    const string Extension = ".png", Partial = ".partial", Aside = ".deleting";

    public string Root { get; } = root;

    public static string HashOf(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Stores the bytes (once) and returns their hash, the file's name.</summary>
    public async Task<string> WriteAsync(byte[] bytes, CancellationToken cancellation = default)
    {
        var hash = HashOf(bytes);
        var path = PathOf(hash);
        if (File.Exists(path)) return hash;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var partial = path + "." + Guid.NewGuid().ToString("N") + Partial;
        try
        {
            await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
            {
                await file.WriteAsync(bytes, cancellation);
                file.Flush(flushToDisk: true);
            }
            File.Move(partial, path, overwrite: true); // a concurrent writer of the same hash wrote the same bytes
        }
        finally
        {
            File.Delete(partial);
        }
        return hash;
    }

    public async Task<byte[]?> ReadAsync(string hash, CancellationToken cancellation = default)
    {
        try
        {
            return await File.ReadAllBytesAsync(PathOf(hash), cancellation);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public bool Exists(string hash) => File.Exists(PathOf(hash));

    public void Delete(string hash) => File.Delete(PathOf(hash));

    /// <summary>Renames the file out of the way (a delete about to be committed); throws when the folder cannot be written.</summary>
    public void MoveAside(string hash) => File.Move(PathOf(hash), PathOf(hash) + Aside);

    /// <summary>Puts a file moved aside back (the delete was not committed).</summary>
    public void Restore(string hash)
    {
        if (File.Exists(PathOf(hash) + Aside)) File.Move(PathOf(hash) + Aside, PathOf(hash), overwrite: true);
    }

    /// <summary>Removes a file moved aside for good; one that cannot be removed stays an orphan for the next start.</summary>
    public void DeleteAside(string hash)
    {
        try
        {
            File.Delete(PathOf(hash) + Aside);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Every stored file's hash with its age, and leftovers of interrupted writes.</summary>
    public IEnumerable<(string Hash, string Path, DateTime WrittenAt)> List()
    {
        if (!Directory.Exists(Root)) yield break;
        foreach (var path in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(path);
            var hash = name.EndsWith(Extension, StringComparison.Ordinal) && name.Length == 64 + Extension.Length ? name[..64] : "";
            yield return (hash, path, File.GetLastWriteTimeUtc(path));
        }
    }

    string PathOf(string hash)
    {
        if (hash.Length != 64 || !hash.All(char.IsAsciiHexDigitLower)) throw new ArgumentException($"'{hash}' is not a SHA-256 hex name.", nameof(hash));
        return Path.Combine(Root, hash[..2], hash + Extension);
    }
}
