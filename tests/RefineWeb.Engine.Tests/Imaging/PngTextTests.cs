using RefineWeb.Engine.Imaging;
using SkiaSharp;

namespace RefineWeb.Engine.Tests.Imaging;

public sealed class PngTextTests
{
    static byte[] SmallPng() => new RgbImage(4, 3, [.. Enumerable.Range(0, 36).Select(i => (byte)(i * 7))]).ToPng();

    [Fact]
    public void Text_round_trips_latin1_as_tEXt_and_unicode_as_iTXt_and_the_picture_is_unchanged()
    {
        var png = PngText.With(SmallPng(), new Dictionary<string, string>
        {
            ["parameters"] = "red heart\nSteps: 20/10/8, Seed: 1",
            ["refineweb"] = """{"prompt":"❤ heart, café"}""",
        });
        var (entries, problems) = PngText.Read(png);
        Assert.Empty(problems);
        Assert.Equal("red heart\nSteps: 20/10/8, Seed: 1", entries["parameters"]);
        Assert.Equal("""{"prompt":"❤ heart, café"}""", entries["refineweb"]);
        Assert.Contains("tEXtparameters"u8.ToArray(), Windows(png, 14));
        Assert.Contains("iTXtrefineweb"u8.ToArray(), Windows(png, 13));

        using var original = SKBitmap.Decode(SmallPng());
        using var tagged = SKBitmap.Decode(png);
        Assert.Equal(original.Bytes, tagged.Bytes);
    }

    static IEnumerable<byte[]> Windows(byte[] bytes, int size) => Enumerable.Range(0, bytes.Length - size).Select(i => bytes[i..(i + size)]);

    [Fact]
    public void A_chunk_with_a_bad_crc_is_skipped_with_a_reason_and_the_others_are_read()
    {
        var png = PngText.With(SmallPng(), new Dictionary<string, string> { ["parameters"] = "red heart", ["other"] = "kept" });
        int chunk = IndexOf(png, "tEXtparameters"u8.ToArray());
        png[chunk + 16] ^= 0xFF; // flip a text byte: the CRC no longer matches
        var (entries, problems) = PngText.Read(png);
        Assert.False(entries.ContainsKey("parameters"));
        Assert.Equal("kept", entries["other"]);
        Assert.Contains(problems, p => p.Contains("bad CRC"));
    }

    [Fact]
    public void Truncated_files_and_non_pngs_report_problems_instead_of_throwing()
    {
        var png = PngText.With(SmallPng(), new Dictionary<string, string> { ["parameters"] = "red heart" });
        var cut = png[..(IndexOf(png, "tEXtparameters"u8.ToArray()) + 8)];
        Assert.Contains(PngText.Read(cut).Problems, p => p.Contains("past the end"));
        Assert.Equal(["not a PNG file"], PngText.Read("hello"u8.ToArray()).Problems);
    }

    static int IndexOf(byte[] bytes, byte[] pattern) => Enumerable.Range(0, bytes.Length - pattern.Length).First(i => bytes.AsSpan(i, pattern.Length).SequenceEqual(pattern));
}
