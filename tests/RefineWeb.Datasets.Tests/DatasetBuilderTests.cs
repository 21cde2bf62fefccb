using RefineWeb.Datasets.Tools;
using SkiaSharp;

namespace RefineWeb.Datasets.Tests;

public sealed class DatasetBuilderTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("refineweb-data-").FullName;
    string Output => Path.Combine(root, "out");
    string Cache => Path.Combine(root, "npm");

    public DatasetBuilderTests() => FixturePackages.WriteAll(Cache);
    public void Dispose() => Directory.Delete(root, recursive: true);

    Task<IReadOnlyList<DatasetRecord>> Build(double share = 0.05) =>
        new DatasetBuilder(new DatasetBuildOptions { OutputDirectory = Output, PackageCache = Cache, ValidationShare = share }).BuildAsync();

    [Fact]
    public async Task Every_style_image_becomes_one_manifest_line_with_captions_and_licence()
    {
        await Build();
        var records = DatasetRecord.ReadManifest(Path.Combine(Output, DatasetBuilder.ManifestName));
        Assert.Equal(
            ["fluent/1F44B", "fluent/1F44B-1F3FB", "fluent/2764", "noto/1F600", "noto/2764", "twemoji/1F44B", "twemoji/1F44B-1F3FB", "twemoji/1F600", "twemoji/2764"],
            records.Select(r => r.Id));
        var heart = records.Single(r => r.Id == "twemoji/2764");
        Assert.Equal(["red heart", "red heart, emotion, love", "twemoji red heart"], heart.Captions);
        Assert.Equal("emoji-datasource-twitter@16.0.0", heart.SourcePackage);
        Assert.Equal("CC-BY-4.0", heart.License);
        Assert.Equal("waving hand: light skin tone", records.Single(r => r.Id == "fluent/1F44B-1F3FB").Label);
        Assert.Equal("Apache-2.0", records.Single(r => r.Id == "noto/2764").License);
    }

    [Fact]
    public async Task Images_are_opaque_64_px_on_white_and_vector_art_also_at_128()
    {
        var records = await Build();
        foreach (var record in records)
        {
            using var image = SKBitmap.Decode(Path.Combine(Output, record.Image));
            Assert.Equal((64, 64), (image.Width, image.Height));
            Assert.Equal(SKColors.White, image.GetPixel(1, 1));  // transparent corner composited on white
            var center = image.GetPixel(32, 32);
            Assert.True(center.Red > 200 && center.Green < 60 && center.Alpha == 255, $"{record.Id}: centre {center}");
        }
        var fluent = records.Single(r => r.Id == "fluent/2764");
        using var large = SKBitmap.Decode(Path.Combine(Output, fluent.Image128!));
        Assert.Equal((128, 128), (large.Width, large.Height));
        Assert.Null(records.Single(r => r.Id == "twemoji/2764").Image128);
    }

    [Fact]
    public async Task Validation_images_always_have_their_emoji_in_training_in_another_style()
    {
        var records = await Build(share: 0.99);
        var validation = records.Where(r => r.Split == DatasetRecord.Validation).ToList();
        Assert.NotEmpty(validation);
        foreach (var held in validation)
        {
            var others = records.Where(r => r.Hexcode == held.Hexcode && r.Id != held.Id).ToList();
            Assert.Contains(others, r => r.Split == DatasetRecord.Train && r.Style != held.Style);
        }
        // An emoji with a single style can never be held out.
        Assert.Equal(DatasetRecord.Train, records.Single(r => r.Id == "twemoji/1F44B").Split);
    }

    [Fact]
    public async Task Rebuilding_is_deterministic_and_reuses_written_images()
    {
        await Build(share: 0.5);
        var manifest = File.ReadAllText(Path.Combine(Output, DatasetBuilder.ManifestName));
        var image = Path.Combine(Output, "images", "noto", "2764.png");
        var written = File.GetLastWriteTimeUtc(image);
        await Build(share: 0.5);
        Assert.Equal(manifest, File.ReadAllText(Path.Combine(Output, DatasetBuilder.ManifestName)));
        Assert.Equal(written, File.GetLastWriteTimeUtc(image));
    }

    [Fact]
    public async Task A_missing_tool_says_what_to_install()
    {
        var tool = new ExternalTool("refineweb-no-such-tool", "Install it with apt-get.");
        var error = await Assert.ThrowsAsync<MissingToolException>(() => tool.RunAsync([]));
        Assert.Contains("refineweb-no-such-tool", error.Message);
        Assert.Contains("apt-get", error.Message);
    }
}
