using System.Text.Json;

namespace RefineWeb.Datasets.Emoji;

/// <summary>One emoji (or one skin-tone variant) with its CLDR label and keywords.</summary>
/// <param name="Group">emojibase's group number (0 smileys-emotion ... 9 flags).</param>
public sealed record EmojiEntry(string Hexcode, string Label, IReadOnlyList<string> Keywords, int SkinTone, int Group = -1)
{
    /// <summary>The group's name ("food-drink"), or null for an unknown number.</summary>
    public string? Category => Group >= 0 && Group < Colour.RecolourPlan.GroupNames.Count ? Colour.RecolourPlan.GroupNames[Group] : null;
}

/// <summary>The CLDR English names and keywords from emojibase-data (en/data.json), skin tones flattened in.</summary>
public static class EmojiCatalog
{
    public static IReadOnlyList<EmojiEntry> Load(string emojibasePackageDirectory)
    {
        var path = Path.Combine(emojibasePackageDirectory, "en", "data.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"emojibase-data has no en/data.json at {path}.", path);
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var entries = new List<EmojiEntry>();
        foreach (var item in document.RootElement.EnumerateArray())
        {
            var entry = Read(item, null);
            if (entry is null) continue;
            entries.Add(entry);
            if (item.TryGetProperty("skins", out var skins))
                foreach (var skin in skins.EnumerateArray())
                    if (Read(skin, entry.Keywords) is { } variant) entries.Add(variant);
        }
        return entries;
    }

    static EmojiEntry? Read(JsonElement item, IReadOnlyList<string>? inheritedKeywords)
    {
        if (!item.TryGetProperty("hexcode", out var hex) || !item.TryGetProperty("label", out var label)) return null;
        // Regional indicators (type 1, no group) are letters, not pictures.
        if (!item.TryGetProperty("group", out var group) || group.ValueKind != JsonValueKind.Number) return null;
        var keywords = item.TryGetProperty("tags", out var tags)
            ? tags.EnumerateArray().Select(t => t.GetString()!).ToList()
            : inheritedKeywords?.ToList() ?? [];
        int tone = item.TryGetProperty("tone", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetInt32() : 0;
        return new EmojiEntry(Normalize(hex.GetString()!), label.GetString()!, keywords, tone, group.GetInt32());
    }

    /// <summary>Upper-case code points joined by '-', variation selector FE0F dropped, so all packages agree.</summary>
    public static string Normalize(string hexcode) =>
        string.Join('-', hexcode.ToUpperInvariant().Split('-').Where(p => p != "FE0F"));
}
