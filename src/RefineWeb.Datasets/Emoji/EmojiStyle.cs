using RefineWeb.Datasets.Packages;

namespace RefineWeb.Datasets.Emoji;

/// <summary>How a package lays out its vector art.</summary>
public enum VectorLayout
{
    /// <summary>One SVG per emoji named by its code points (<c>1f600.svg</c>, <c>1f44b-1f3fb.svg</c>): @twemoji/svg.</summary>
    CodePointFiles,
    /// <summary>Iconify JSON: icons.json holds each icon's SVG body, chars.json maps code points to icon names.</summary>
    Iconify,
    /// <summary>fluentui-emoji's icons/flat/{slug of the CLDR label}.svg.</summary>
    FluentFlat,
}

/// <summary>A package of one style's vector art, rendered for the 128 and 256 px images.</summary>
public sealed record VectorArt(NpmPackage Package, string ImageLicense, VectorLayout Layout);

/// <summary>
/// An emoji design family: the package of its 64 px pictures, the package of its vector art (for 128 and 256 px),
/// and the word that names it in captions.
/// </summary>
public sealed record EmojiStyle(string Word, NpmPackage Package, string ImageLicense, VectorArt Vector)
{
    public static readonly EmojiStyle Twemoji = new("twemoji", new("emoji-datasource-twitter", "16.0.0", "MIT"), "CC-BY-4.0",
        new(new("@twemoji/svg", "15.0.0", "MIT"), "CC-BY-4.0", VectorLayout.CodePointFiles));
    public static readonly EmojiStyle Noto = new("noto", new("emoji-datasource-google", "16.0.0", "MIT"), "Apache-2.0",
        new(new("@iconify-json/noto", "1.2.9", "Apache-2.0"), "Apache-2.0", VectorLayout.Iconify));
    public static readonly EmojiStyle Fluent = new("fluent", new("fluentui-emoji", "1.3.0", "MIT"), "MIT",
        new(new("fluentui-emoji", "1.3.0", "MIT"), "MIT", VectorLayout.FluentFlat));

    public static IReadOnlyList<EmojiStyle> All { get; } = [Twemoji, Noto, Fluent];

    /// <summary>The 64 px pictures are the vector art itself (rasterized at 64).</summary>
    public bool IsVectorOnly => Package == Vector.Package;

    /// <summary>CLDR names and keywords (Unicode licence data, packaged under MIT).</summary>
    public static readonly NpmPackage Captions = new("emojibase-data", "17.0.0", "MIT");
}
