using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace RefineWeb.Generation;

public enum ImageOrigin { Generated, Refined, Upscaled, Uploaded }

/// <summary>Where an image came from: refinements record their parent and mask, so the user can go back.</summary>
public sealed record ImageLineage(ImageOrigin Origin, string? ParentId = null, byte[]? MaskPng = null, string? Prompt = null);

public sealed record StoredImage(string Id, byte[] Png, int Width, int Height, ImageLineage Lineage, DateTimeOffset At);

/// <summary>Finished and uploaded images by id (PNG bytes), in memory, newest kept (the gallery issue persists them).</summary>
public sealed class ImageStore
{
    const int Capacity = 2000;
    readonly ConcurrentDictionary<string, StoredImage> images = new();

    public string Add(byte[] png, int width, int height, ImageLineage lineage)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        images[id] = new StoredImage(id, png, width, height, lineage, DateTimeOffset.UtcNow);
        if (images.Count > Capacity)
            foreach (var old in images.Values.OrderBy(i => i.At).Take(images.Count - Capacity)) images.TryRemove(old.Id, out _);
        return id;
    }

    public int Count => images.Count;

    public StoredImage? Get(string id) => images.GetValueOrDefault(id);

    public byte[]? Find(string id) => Get(id)?.Png;
}
