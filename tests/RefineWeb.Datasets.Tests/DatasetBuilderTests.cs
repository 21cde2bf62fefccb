using RefineWeb.Datasets.Colour;
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

    Task<IReadOnlyList<DatasetRecord>> Build(double share = 0.05, int recolour = 0, long recolourSeed = 1) =>
        new DatasetBuilder(new DatasetBuildOptions { OutputDirectory = Output, PackageCache = Cache, ValidationShare = share, RecolourCopies = recolour, RecolourSeed = recolourSeed }).BuildAsync();

    [Fact]
    public async Task Every_style_image_becomes_one_manifest_line_with_captions_and_licence()
    {
        await Build();
        var records = DatasetRecord.ReadManifest(Path.Combine(Output, DatasetBuilder.ManifestName));
        Assert.Equal(
            ["fluent/1F34E", "fluent/1F44B", "fluent/1F44B-1F3FB", "fluent/2764", "noto/1F34E", "noto/1F600", "noto/2764",
             "twemoji/1F34E", "twemoji/1F44B", "twemoji/1F44B-1F3FB", "twemoji/1F600", "twemoji/2764"],
            records.Select(r => r.Id));
        var heart = records.Single(r => r.Id == "twemoji/2764");
        Assert.Equal(["red heart", "red heart, emotion, love", "twemoji red heart"], heart.Captions);
        Assert.Equal("emoji-datasource-twitter@16.0.0", heart.SourcePackage);
        Assert.Equal("CC-BY-4.0", heart.License);
        Assert.Equal("waving hand: light skin tone", records.Single(r => r.Id == "fluent/1F44B-1F3FB").Label);
        Assert.Equal("Apache-2.0", records.Single(r => r.Id == "noto/2764").License);
    }

    [Fact]
    public async Task Images_are_opaque_64_px_on_white()
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
    }

    [Fact]
    public async Task Vector_art_is_rendered_at_256_px_and_box_downsampled_to_128_with_its_own_source_and_licence()
    {
        var records = await Build();
        var heart = records.Single(r => r.Id == "twemoji/2764");
        Assert.Equal([128, 256], heart.HighResolution.Select(i => i.Size));
        Assert.All(heart.HighResolution, i => Assert.Equal(("@twemoji/svg@15.0.0", "CC-BY-4.0"), (i.SourcePackage, i.License)));
        Assert.Equal("emoji-datasource-twitter@16.0.0", heart.SourcePackage); // the 64 px picture keeps its own source

        using var large = SKBitmap.Decode(Path.Combine(Output, heart.ImageAt(256)!));
        using var half = SKBitmap.Decode(Path.Combine(Output, heart.ImageAt(128)!));
        Assert.Equal((256, 256, 128, 128), (large.Width, large.Height, half.Width, half.Height));
        Assert.Equal(SKColors.White, large.GetPixel(2, 2));
        var centre = large.GetPixel(128, 128);
        Assert.True(centre.Blue > 200 && centre.Red < 60, $"centre {centre}: the vector art (blue), not the 64 px picture (red)");
        // 128 px is the 2x2 average of the 256 px render, rounded: one source of truth per image.
        foreach (var (x, y) in new[] { (0, 0), (63, 64), (40, 50), (82, 61), (100, 127) })
            foreach (Func<SKColor, byte> channel in new Func<SKColor, byte>[] { c => c.Red, c => c.Green, c => c.Blue })
            {
                int sum = channel(large.GetPixel(2 * x, 2 * y)) + channel(large.GetPixel(2 * x + 1, 2 * y))
                    + channel(large.GetPixel(2 * x, 2 * y + 1)) + channel(large.GetPixel(2 * x + 1, 2 * y + 1));
                Assert.Equal((sum + 2) / 4, channel(half.GetPixel(x, y)));
            }

        var noto = records.Single(r => r.Id == "noto/2764");
        Assert.Equal("@iconify-json/noto@1.2.9", noto.HighResolution[1].SourcePackage); // through the alias "heart"
        Assert.Equal("Apache-2.0", noto.HighResolution[1].License);
        Assert.Equal(("fluentui-emoji@1.3.0", "MIT"), (records.Single(r => r.Id == "fluent/2764").HighResolution[1].SourcePackage, records.Single(r => r.Id == "fluent/2764").HighResolution[1].License));
        // No vector art: no larger pictures (Twemoji's waving hand is missing, Noto's grinning face is a flipped alias).
        Assert.Empty(records.Single(r => r.Id == "twemoji/1F44B").HighResolution);
        Assert.Empty(records.Single(r => r.Id == "noto/1F600").HighResolution);
        Assert.Null(records.Single(r => r.Id == "noto/1F600").ImageAt(256));
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
    public async Task Recoloured_copies_are_derived_images_with_their_parent_transform_and_new_captions()
    {
        var records = await Build(recolour: 2);
        var originals = records.Where(r => r.Parent is null).ToList();
        Assert.Equal(12, originals.Count);
        Assert.Equal(("food-drink", "red"), (originals.Single(r => r.Id == "twemoji/1F34E").Category, originals.Single(r => r.Id == "twemoji/1F34E").Colour));
        Assert.Equal("smileys-emotion", originals.Single(r => r.Id == "twemoji/2764").Category);

        var derived = records.Where(r => r.Parent is not null).ToList();
        Assert.NotEmpty(derived);
        // Only the apple is a thing with a colour of its own: hearts, faces and hands get no copies.
        Assert.All(derived, r => Assert.Equal("1F34E", r.Hexcode));
        foreach (var copy in derived)
        {
            var parent = originals.Single(r => r.Id == copy.Parent);
            Assert.Equal(DatasetRecord.Train, parent.Split);
            Assert.Equal(DatasetRecord.Train, copy.Split);
            Assert.NotEqual("red", copy.Colour);
            Assert.False(RecolourPlan.IsHeldOut("apple", copy.Colour!));
            Assert.Equal($"{copy.Colour} apple", copy.Captions[0]);
            Assert.Equal($"{parent.Style} {copy.Colour} apple", copy.Captions[2]);
            Assert.StartsWith("recolour red -> " + copy.Colour, copy.Transform);
            Assert.Equal((parent.SourcePackage, parent.License), (copy.SourcePackage, copy.License));
            var (rgba, side) = EmojiPng.ReadRgba(Path.Combine(Output, copy.Image));
            Assert.Equal(64, side);
            Assert.Equal(copy.Colour, ColourPalette.Dominant(rgba));
            var (parentPixels, _) = EmojiPng.ReadRgba(Path.Combine(Output, parent.Image));
            Assert.Equal(parentPixels[..4], rgba[..4]); // the white corner is the parent's
        }
        Assert.True(derived.GroupBy(r => r.Parent).All(g => g.Count() <= 2));

        var manifest = File.ReadAllText(Path.Combine(Output, DatasetBuilder.ManifestName));
        await Build(recolour: 2);
        Assert.Equal(manifest, File.ReadAllText(Path.Combine(Output, DatasetBuilder.ManifestName))); // deterministic for a seed
        var reseeded = await Build(recolour: 2, recolourSeed: 7);
        Assert.Equal(12, reseeded.Count(r => r.Parent is null));
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
