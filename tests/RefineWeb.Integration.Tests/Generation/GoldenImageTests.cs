using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using RefineWeb.Engine.Imaging;
using Xunit.Abstractions;

namespace RefineWeb.Tests.Generation;

/// <summary>
/// The pictures the shipped model makes for fixed requests, pinned by the SHA-256 of their PNG bytes (the image
/// chunks; the settings' text chunks are left out, since they grow when a setting is added). The hashes were first taken
/// on the commit before the "one request" redesign (afbcc5d): a refactoring of how a job travels must not move a pixel.
/// They are taken again only when the shipped weights change on purpose, as the comment in the table says.
/// </summary>
public sealed class GoldenImageTests(ITestOutputHelper output, ShippedModelApp app) : IClassFixture<ShippedModelApp>
{
    static readonly Dictionary<string, string> Expected = new()
    {
        // Every picture changed on purpose by issue 38: refiner32 and refiner64 fine-tuned on the vector art (lengthened to
        // 4800 / 4000 steps), refiner256 with the edge loss (model card: Refiners on the vector art). Each request still
        // runs through the same code.
        ["text"] = "473ed7353356d8f7a7ba3d1df588dd9a13e8ed4b69b3f01ea4474ef9471e41a6",
        ["text-emphasis-batch-1"] = "3da2abcb60ede60b6e6e82d9cd2502fc0e4e5cd357384b51dde4774ed9bd899a",
        ["text-emphasis-batch-2"] = "7242d67daf7fc44fb38b0daa6396594fb864652db6d0d7c9e4ae2660a5ad28b2",
        ["text-settings"] = "d350a39f73abdcb561b684c81ae8dee464da4de69eb804a41f0f9296d5cac937",
        ["refine-region"] = "b52e8d68b9677524b84a153315725c02e8a523129ac511bb0a45a889fb963170",
        ["refine-whole"] = "47e3d7f5447e61f29ca32bd611c29a57c35d458f1b64ae2810ba91fca3e631fa",
        ["upscale"] = "6beef0b767d734649cf9be2d25f3dcf799255fbd1282514fa663ea60e07d6ac7",
    };

    [Fact]
    public async Task Text_refine_and_upscale_jobs_make_the_same_png_bytes_as_before_the_redesign()
    {
        var actual = new Dictionary<string, string>();
        actual["text"] = Hash((await app.RunAsync("/api/v1/generations", new { prompt = "red heart", seed = 1 }))[0]);
        var pair = await app.RunAsync("/api/v1/generations", new { prompt = "(blue:1.5) apple", seed = 7, count = 2, stages = 3 });
        actual["text-emphasis-batch-1"] = Hash(pair[0]);
        actual["text-emphasis-batch-2"] = Hash(pair[1]);
        actual["text-settings"] = Hash((await app.RunAsync("/api/v1/generations",
            new { prompt = "rocket", negativePrompt = "blue", seed = 11, steps = new[] { 12, 3 }, guidanceScales = new[] { 4.0, 2.5 }, stages = 4 }))[0]);

        var parentId = await app.UploadAsync(ShippedModelApp.Disc(256));
        var mask = new bool[256 * 256];
        for (int y = 96; y < 160; y++) for (int x = 80; x < 176; x++) mask[y * 256 + x] = true;
        actual["refine-region"] = Hash((await app.RunAsync("/api/v1/refinements",
            new { parentImageId = parentId, mask = MaskImage.ToPng(mask, 256, 256), prompt = "blue heart", seed = 3, strength = 0.8 }))[0]);
        actual["refine-whole"] = Hash((await app.RunAsync("/api/v1/upscales", new { imageId = parentId, prompt = "red apple", mode = "refine", strength = 0.5, seed = 5 }))[0]);
        var smallId = await app.UploadAsync(ShippedModelApp.Disc(32));
        actual["upscale"] = Hash((await app.RunAsync("/api/v1/upscales", new { imageId = smallId, prompt = "red circle", seed = 1, factor = 4 }))[0]);

        foreach (var (name, hash) in actual) output.WriteLine($"[\"{name}\"] = \"{hash}\",");
        Assert.Equal(Expected, actual);
    }

    /// <summary>SHA-256 (hex) of the PNG's chunks other than text (tEXt, zTXt, iTXt).</summary>
    static string Hash(byte[] png)
    {
        using var kept = new MemoryStream();
        kept.Write(png, 0, 8);
        for (int at = 8; at < png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            string type = Encoding.ASCII.GetString(png, at + 4, 4);
            if (type is not ("tEXt" or "zTXt" or "iTXt")) kept.Write(png, at, 12 + length);
            at += 12 + length;
        }
        return Convert.ToHexStringLower(SHA256.HashData(kept.ToArray()));
    }

}
