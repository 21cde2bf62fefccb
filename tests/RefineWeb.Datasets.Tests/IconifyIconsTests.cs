using System.Xml.Linq;
using RefineWeb.Datasets.Emoji;

namespace RefineWeb.Datasets.Tests;

public sealed class IconifyIconsTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("refineweb-iconify-").FullName;
    public void Dispose() => Directory.Delete(root, recursive: true);

    string Package(string? chars)
    {
        var package = Path.Combine(root, "package");
        Directory.CreateDirectory(package);
        File.WriteAllText(Path.Combine(package, "icons.json"), FixturePackages.IconifyIcons);
        if (chars is not null) File.WriteAllText(Path.Combine(package, "chars.json"), chars);
        return package;
    }

    [Fact]
    public void Each_mapped_icon_becomes_a_standalone_svg_document_and_aliases_resolve_to_their_parent()
    {
        var sources = IconifyIcons.Extract(Package("""{"2764-fe0f":"heart","1f600":"grinning-face","1f44b":"no-such-icon"}"""), Path.Combine(root, "svg"));
        Assert.Equal(["1F600", "2764"], sources.Keys.Order(StringComparer.Ordinal));
        var heart = XDocument.Load(sources["2764"].Path).Root!;
        Assert.Equal("svg", heart.Name.LocalName);
        Assert.Equal(("128", "128", "0 0 128 128"), ((string)heart.Attribute("width")!, (string)heart.Attribute("height")!, (string)heart.Attribute("viewBox")!));
        Assert.Equal("#0000ff", (string)heart.Elements().Single().Attribute("fill")!); // red-heart's body, through the alias
        Assert.True(sources["2764"].IsSvg);
    }

    [Fact]
    public void Flipped_aliases_are_left_out()
    {
        var sources = IconifyIcons.Extract(Package("""{"1f600":"grinning-face-mirrored"}"""), Path.Combine(root, "svg"));
        Assert.Empty(sources);
    }

    [Fact]
    public void A_set_without_code_points_says_so()
    {
        var error = Assert.Throws<FileNotFoundException>(() => IconifyIcons.Extract(Package(null), Path.Combine(root, "svg")));
        Assert.Contains("chars.json", error.Message);
    }
}
