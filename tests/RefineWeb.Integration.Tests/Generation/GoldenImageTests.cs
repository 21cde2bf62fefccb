using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using RefineWeb.Engine.Imaging;
using Xunit.Abstractions;

namespace RefineWeb.Tests.Generation;

/// <summary>
/// The pictures the shipped model makes for fixed requests, pinned by the SHA-256 of their PNG bytes (the image
/// chunks; the settings' text chunks are left out, since they grow when a setting is added). The hashes were taken on
/// the commit before the "one request" redesign (afbcc5d): a refactoring of how a job travels must not move a pixel.
/// </summary>
public sealed class GoldenImageTests(ITestOutputHelper output, ShippedModelApp app) : IClassFixture<ShippedModelApp>
{
    static readonly Dictionary<string, string> Expected = new()
    {
        ["text"] = "568f91a52ac02a05e678aecc8d332785d0c8500207dc57905931f8b285fe3ed2",
        ["text-emphasis-batch-1"] = "f442bb207f8ef7f16b7cd9213655543087ecf6a59b45eb4d5563779aa3c68c40",
        ["text-emphasis-batch-2"] = "03bd40cf56d07144826094a16e45c6d016544530631dbc22450cfcf1ded07e3e",
        ["text-settings"] = "cc4f108be7f4de84fb8d5bddb119e0ea2c951f7a62ba1430887f9f7e5c8ab5c0",
        // Changed on purpose by issue 39.6: the model's refiners start a brushed region from half their noise (region_refiner_strength).
        ["refine-region"] = "03393489e1936c942c2aa68f4f872770ea24813c8cae2a72ac6a28291a6e1ca6",
        ["refine-whole"] = "a44c6aa6ba1ade51aa1e170af514c3993db2ac7d74433761c1e55d4ce48acaaa",
        ["upscale"] = "4d558df50d1b57ff4c1dfac15cca30b58a12471a693d9cd284b5eaf2189ee5dd",
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
