using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace RefineWeb.Generation;

/// <summary>Finished images by id (PNG bytes), in memory, newest kept (the gallery issue persists them).</summary>
public sealed class ImageStore
{
    const int Capacity = 2000;
    readonly ConcurrentDictionary<string, (byte[] Png, DateTimeOffset At)> images = new();

    public string Add(byte[] png)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        images[id] = (png, DateTimeOffset.UtcNow);
        if (images.Count > Capacity)
            foreach (var old in images.OrderBy(kv => kv.Value.At).Take(images.Count - Capacity)) images.TryRemove(old.Key, out _);
        return id;
    }

    public byte[]? Find(string id) => images.TryGetValue(id, out var entry) ? entry.Png : null;
}
