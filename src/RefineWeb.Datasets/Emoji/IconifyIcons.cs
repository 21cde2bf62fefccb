using System.Text.Json;

namespace RefineWeb.Datasets.Emoji;

/// <summary>
/// An Iconify JSON icon set (@iconify-json/noto): icons.json holds each icon's SVG body (and the set's default
/// width and height), chars.json maps code points to icon names. Each icon an emoji uses is written out once as a
/// standalone SVG document, so rsvg-convert can rasterize it like any other file.
/// </summary>
public static class IconifyIcons
{
    /// <summary>
    /// The emoji of the set, keyed by normalized hexcode, as SVG files under <paramref name="svgDirectory"/>.
    /// Aliases resolve to their parent; aliases that flip or rotate their parent are left out (not the same picture).
    /// </summary>
    public static Dictionary<string, EmojiImageSource> Extract(string packageDirectory, string svgDirectory)
    {
        var iconsPath = Path.Combine(packageDirectory, "icons.json");
        var charsPath = Path.Combine(packageDirectory, "chars.json");
        if (!File.Exists(iconsPath)) throw new FileNotFoundException($"{iconsPath} is missing: is this an @iconify-json package?", iconsPath);
        if (!File.Exists(charsPath)) throw new FileNotFoundException($"{charsPath} is missing: this Iconify set does not map code points to icons.", charsPath);

        using var icons = JsonDocument.Parse(File.ReadAllBytes(iconsPath));
        using var chars = JsonDocument.Parse(File.ReadAllBytes(charsPath));
        var root = icons.RootElement;
        int defaultWidth = Int(root, "width") ?? 16, defaultHeight = Int(root, "height") ?? 16;
        var set = root.GetProperty("icons");
        root.TryGetProperty("aliases", out var aliases);

        Directory.CreateDirectory(svgDirectory);
        var result = new Dictionary<string, EmojiImageSource>(StringComparer.Ordinal);
        foreach (var entry in chars.RootElement.EnumerateObject().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var name = Resolve(entry.Value.GetString()!, set, aliases);
            if (name is null || !set.TryGetProperty(name, out var icon)) continue;
            var path = Path.Combine(svgDirectory, name + ".svg");
            if (!File.Exists(path))
            {
                var document = Document(icon.GetProperty("body").GetString()!, Int(icon, "width") ?? defaultWidth, Int(icon, "height") ?? defaultHeight);
                var temporary = path + ".tmp";
                File.WriteAllText(temporary, document);
                File.Move(temporary, path, overwrite: true);
            }
            result.TryAdd(EmojiCatalog.Normalize(entry.Name), new EmojiImageSource(path, true));
        }
        return result;
    }

    /// <summary>A standalone SVG document around an icon body (Iconify bodies have no root element of their own).</summary>
    public static string Document(string body, int width, int height) =>
        $"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{width}" height="{height}" viewBox="0 0 {width} {height}">{body}</svg>""";

    static string? Resolve(string name, JsonElement icons, JsonElement aliases)
    {
        for (int depth = 0; depth < 8; depth++)
        {
            if (icons.TryGetProperty(name, out _)) return name;
            if (aliases.ValueKind != JsonValueKind.Object || !aliases.TryGetProperty(name, out var alias)) return null;
            if (alias.EnumerateObject().Any(p => p.Name is "hFlip" or "vFlip" or "rotate")) return null;
            name = alias.GetProperty("parent").GetString()!;
        }
        return null;
    }

    static int? Int(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : null;
}
