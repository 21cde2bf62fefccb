using RefineWeb.Datasets.Packages;

namespace RefineWeb.Datasets.Emoji;

/// <summary>An emoji design family, the package that ships it, and the word that names it in captions.</summary>
public sealed record EmojiStyle(string Word, NpmPackage Package, string ImageLicense)
{
    public static readonly EmojiStyle Twemoji = new("twemoji", new("emoji-datasource-twitter", "16.0.0", "MIT"), "CC-BY-4.0");
    public static readonly EmojiStyle Noto = new("noto", new("emoji-datasource-google", "16.0.0", "MIT"), "Apache-2.0");
    public static readonly EmojiStyle Fluent = new("fluent", new("fluentui-emoji", "1.3.0", "MIT"), "MIT");

    public static IReadOnlyList<EmojiStyle> All { get; } = [Twemoji, Noto, Fluent];

    /// <summary>CLDR names and keywords (Unicode licence data, packaged under MIT).</summary>
    public static readonly NpmPackage Captions = new("emojibase-data", "17.0.0", "MIT");
}
