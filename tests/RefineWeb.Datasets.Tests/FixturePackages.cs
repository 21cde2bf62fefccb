using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using SkiaSharp;

namespace RefineWeb.Datasets.Tests;

/// <summary>Tiny stand-ins for the six npm tarballs, in their real layouts, so the builder runs without a network.</summary>
static class FixturePackages
{
    public static void WriteAll(string cache)
    {
        Directory.CreateDirectory(cache);
        Tarball(Path.Combine(cache, "emojibase-data-17.0.0.tgz"), new()
        {
            ["package/en/data.json"] = Encoding.UTF8.GetBytes("""
            [
              {"label":"regional indicator F","hexcode":"1F1EB","type":1},
              {"label":"red heart","hexcode":"2764","tags":["emotion","heart","love","red"],"group":0},
              {"label":"grinning face","hexcode":"1F600","tags":["face","happy"],"group":0},
              {"label":"red apple","hexcode":"1F34E","tags":["apple","fruit","red"],"group":4},
              {"label":"waving hand","hexcode":"1F44B","tags":["hello","wave"],"group":1,
               "skins":[{"label":"waving hand: light skin tone","hexcode":"1F44B-1F3FB","group":1,"tone":1}]}
            ]
            """),
        });
        var twitter = """
            [{"unified":"2764-FE0F","image":"2764-fe0f.png","has_img_twitter":true,"has_img_google":true},
             {"unified":"1F600","image":"1f600.png","has_img_twitter":true,"has_img_google":true},
             {"unified":"1F34E","image":"1f34e.png","has_img_twitter":true,"has_img_google":true},
             {"unified":"1F44B","image":"1f44b.png","has_img_twitter":true,"has_img_google":false,
              "skin_variations":{"1F3FB":{"unified":"1F44B-1F3FB","image":"1f44b-1f3fb.png","has_img_twitter":true,"has_img_google":false}}}]
            """;
        foreach (var (set, name) in new[] { ("twitter", "emoji-datasource-twitter-16.0.0.tgz"), ("google", "emoji-datasource-google-16.0.0.tgz") })
        {
            var files = new Dictionary<string, byte[]> { ["package/emoji.json"] = Encoding.UTF8.GetBytes(twitter) };
            foreach (var image in new[] { "2764-fe0f.png", "1f600.png", "1f34e.png", "1f44b.png", "1f44b-1f3fb.png" })
                if (set == "twitter" || !image.StartsWith("1f44b", StringComparison.Ordinal))
                    files[$"package/img/{set}/64/{image}"] = RedDotOnTransparent();
            Tarball(Path.Combine(cache, name), files);
        }
        const string svg = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="8" fill="#ff0000"/></svg>""";
        Tarball(Path.Combine(cache, "fluentui-emoji-1.3.0.tgz"), new()
        {
            ["package/icons/flat/red-heart.svg"] = Encoding.UTF8.GetBytes(svg),
            ["package/icons/flat/red-apple.svg"] = Encoding.UTF8.GetBytes(svg),
            ["package/icons/flat/waving-hand-light.svg"] = Encoding.UTF8.GetBytes(svg),
            ["package/icons/flat/waving-hand-default.svg"] = Encoding.UTF8.GetBytes(svg),
        });

        // Vector art for 128 and 256 px, drawn blue so a test can tell it from the red 64 px pictures. Twemoji has no
        // waving hand here; Noto's grinning face is a flipped alias, which is not the same picture and is left out.
        const string blue = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36"><circle cx="18" cy="18" r="9" fill="#0000ff"/></svg>""";
        Tarball(Path.Combine(cache, "twemoji-svg-15.0.0.tgz"), new()
        {
            ["package/2764.svg"] = Encoding.UTF8.GetBytes(blue),
            ["package/1f600.svg"] = Encoding.UTF8.GetBytes(blue),
            ["package/package.json"] = Encoding.UTF8.GetBytes("""{"name":"@twemoji/svg","version":"15.0.0"}"""),
        });
        Tarball(Path.Combine(cache, "iconify-json-noto-1.2.9.tgz"), new()
        {
            ["package/icons.json"] = Encoding.UTF8.GetBytes(IconifyIcons),
            ["package/chars.json"] = Encoding.UTF8.GetBytes("""{"2764":"heart","1f600":"grinning-face-mirrored"}"""),
        });
    }

    /// <summary>An Iconify set: a body without a root element, an alias, and a flipped alias.</summary>
    public const string IconifyIcons = """
        {"prefix":"noto","width":128,"height":128,
         "icons":{"red-heart":{"body":"<circle cx=\"64\" cy=\"64\" r=\"32\" fill=\"#0000ff\"/>"},
                  "grinning-face":{"body":"<rect width=\"128\" height=\"128\" fill=\"#00ff00\"/>"}},
         "aliases":{"heart":{"parent":"red-heart"},"grinning-face-mirrored":{"parent":"grinning-face","hFlip":true}}}
        """;

    /// <summary>64 px, transparent, with an opaque red disc in the middle.</summary>
    static byte[] RedDotOnTransparent()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(64, 64, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.Transparent);
            using var paint = new SKPaint { Color = SKColors.Red, IsAntialias = false };
            canvas.DrawCircle(32, 32, 16, paint);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    static void Tarball(string path, Dictionary<string, byte[]> files)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Pax);
        foreach (var (name, bytes) in files)
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes) });
    }
}
