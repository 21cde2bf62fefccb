using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace RefineWeb.Generation;

public enum ImageOrigin { Generated, Refined, Upscaled, Uploaded }

/// <summary>Where an image came from: refinements record their parent and mask, so the user can go back.</summary>
public sealed record ImageLineage(ImageOrigin Origin, string? ParentId = null, byte[]? MaskPng = null, string? Prompt = null);

public sealed record StoredImage(string Id, byte[] Png, int Width, int Height, ImageLineage Lineage, DateTimeOffset At);

/// <summary>
/// Finished and uploaded images by id (PNG bytes), in memory (the gallery issue persists them). The oldest go first
/// once there are more than 2000 or they take more than 256 MB (uploads can be large).
/// </summary>
public sealed class ImageStore
{
    const int Capacity = 2000;
    const long ByteBudget = 256L * 1024 * 1024;
    readonly ConcurrentDictionary<string, StoredImage> images = new();
    readonly Lock eviction = new();
    long bytes;

    public string Add(byte[] png, int width, int height, ImageLineage lineage)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        images[id] = new StoredImage(id, png, width, height, lineage, DateTimeOffset.UtcNow);
        lock (eviction)
        {
            bytes += png.Length;
            if (images.Count <= Capacity && bytes <= ByteBudget) return id;
            foreach (var old in images.Values.Where(i => i.Id != id).OrderBy(i => i.At).ToList())
            {
                if (images.Count <= Capacity && bytes <= ByteBudget) break;
                if (images.TryRemove(old.Id, out var removed)) bytes -= removed.Png.Length;
            }
        }
        return id;
    }

    public int Count => images.Count;

    public StoredImage? Get(string id) => images.GetValueOrDefault(id);

    public byte[]? Find(string id) => Get(id)?.Png;
}
