using System.Text.Json;
using System.Text.RegularExpressions;

namespace RefineWeb.Datasets.Emoji;

/// <summary>Where one style's picture of an emoji is: a 64 px PNG or an SVG.</summary>
public sealed record EmojiImageSource(string Path, bool IsSvg);

/// <summary>Finds each style's image files inside its extracted npm package, keyed by normalized hexcode.</summary>
public static partial class EmojiImageSources
{
    /// <summary>emoji-datasource-{twitter,google}: emoji.json names a 64 px PNG per code point sequence and skin tone.</summary>
    public static Dictionary<string, EmojiImageSource> FromEmojiDatasource(string packageDirectory, string set)
    {
        var json = Path.Combine(packageDirectory, "emoji.json");
        if (!File.Exists(json)) throw new FileNotFoundException($"{json} is missing: is this emoji-datasource-{set}?", json);
        var imageDirectory = Path.Combine(packageDirectory, "img", set, "64");
        var result = new Dictionary<string, EmojiImageSource>(StringComparer.Ordinal);
        using var document = JsonDocument.Parse(File.ReadAllBytes(json));
        foreach (var item in document.RootElement.EnumerateArray())
        {
            Add(item);
            if (item.TryGetProperty("skin_variations", out var skins) && skins.ValueKind == JsonValueKind.Object)
                foreach (var skin in skins.EnumerateObject()) Add(skin.Value);
        }
        return result;

        void Add(JsonElement item)
        {
            if (item.TryGetProperty($"has_img_{set}", out var has) && has.ValueKind == JsonValueKind.False) return;
            var path = Path.Combine(imageDirectory, item.GetProperty("image").GetString()!);
            if (File.Exists(path))
                result.TryAdd(EmojiCatalog.Normalize(item.GetProperty("unified").GetString()!), new EmojiImageSource(path, false));
        }
    }

    /// <summary>@twemoji/svg: one SVG per emoji in the package root, named by lower-case code points joined by '-'.</summary>
    public static Dictionary<string, EmojiImageSource> FromCodePointFiles(string packageDirectory)
    {
        if (!Directory.Exists(packageDirectory)) throw new DirectoryNotFoundException($"{packageDirectory} is missing.");
        var files = Directory.GetFiles(packageDirectory, "*.svg");
        if (files.Length == 0) throw new FileNotFoundException($"{packageDirectory} holds no SVG files named by code points: is this @twemoji/svg?");
        var result = new Dictionary<string, EmojiImageSource>(StringComparer.Ordinal);
        foreach (var file in files.Order(StringComparer.Ordinal))
            result.TryAdd(EmojiCatalog.Normalize(Path.GetFileNameWithoutExtension(file)), new EmojiImageSource(file, true));
        return result;
    }

    static readonly string[] ToneSuffixes = ["default", "light", "medium-light", "medium", "medium-dark", "dark"];

    /// <summary>fluentui-emoji: icons/flat/{slug of the CLDR label}.svg, with -default / -light ... -dark for skin tones.</summary>
    public static Dictionary<string, EmojiImageSource> FromFluent(string packageDirectory, IEnumerable<EmojiEntry> catalog)
    {
        var flat = Path.Combine(packageDirectory, "icons", "flat");
        if (!Directory.Exists(flat)) throw new DirectoryNotFoundException($"{flat} is missing: is this fluentui-emoji?");
        var files = Directory.GetFiles(flat, "*.svg").ToDictionary(f => Path.GetFileNameWithoutExtension(f), StringComparer.Ordinal);
        var result = new Dictionary<string, EmojiImageSource>(StringComparer.Ordinal);
        foreach (var entry in catalog)
        {
            var baseLabel = entry.SkinTone > 0 ? entry.Label.Split(':')[0] : entry.Label;
            var slug = Slug(baseLabel);
            string[] candidates = entry.SkinTone > 0 && entry.SkinTone < ToneSuffixes.Length
                ? [$"{slug}-{ToneSuffixes[entry.SkinTone]}"]
                : [slug, $"{slug}-default"];
            foreach (var candidate in candidates)
                if (files.TryGetValue(candidate, out var path))
                {
                    result.TryAdd(entry.Hexcode, new EmojiImageSource(path, true));
                    break;
                }
        }
        return result;
    }

    /// <summary>"1st place medal" -> "1st-place-medal", as fluentui-emoji names its files.</summary>
    public static string Slug(string label) => NonAlphanumeric().Replace(label.ToLowerInvariant(), "-").Trim('-');

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonAlphanumeric();
}
