using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using RefineWeb.Engine.Imaging;
using RefineWeb.Generation;
using SkiaSharp;
using static RefineWeb.Tests.Security.ErrorResponseTests;
using static RefineWeb.Tests.Security.HostileRequests;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Tests.Security;

/// <summary>Findings 2-4: masks checked by their header, settings inside uploads checked, NaN / enums / overflow / NUL refused, the hub as strict as REST.</summary>
public sealed class InputValidationTests : IAsyncLifetime
{
    TinyModelApp app = null!;
    string image = null!; // a 64 px upload of the first session
    int side;

    public async Task InitializeAsync()
    {
        app = await TinyModelApp.StartAsync();
        side = app.Service<ModelHost>().Resolutions[^1];
        image = await UploadIdAsync(app.Client, Png(side, side, SKColors.Orange));
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    async Task<JsonElement> RefineProblemAsync(byte[] mask)
    {
        using var response = await app.Client.PostAsJsonAsync("/api/v1/refinements", new { parentImageId = image, prompt = "red heart", mask });
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(0, app.Service<GenerationQueue>().Known);
        return problem.GetProperty("errors").GetProperty("mask");
    }

    /// <summary>Random black and white pixels: a PNG whose pixel data does not compress to almost nothing.</summary>
    static byte[] Noise(int side)
    {
        var random = new Random(1);
        using var bitmap = new SKBitmap(side, side);
        for (int y = 0; y < side; y++) for (int x = 0; x < side; x++) bitmap.SetPixel(x, y, random.Next(2) == 0 ? SKColors.Black : SKColors.White);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>A PNG whose header claims width x height, with no pixel data to back it (a few dozen bytes).</summary>
    static byte[] PngHeaderOnly(int width, int height)
    {
        var real = Png(1, 1, SKColors.White);
        var ihdr = real[8..33].ToArray(); // length, "IHDR", 13 bytes, CRC
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(8), width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(12), height);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(21), System.IO.Hashing.Crc32.HashToUInt32(ihdr.AsSpan(4, 17)));
        return [.. real[..8], .. ihdr, .. real[33..]];
    }

    [Fact]
    public async Task Masks_that_are_not_pngs_have_the_wrong_size_or_are_truncated_are_refused_before_decoding()
    {
        Assert.Contains("not a PNG", (await RefineProblemAsync("hello, I am text"u8.ToArray()))[0].GetString());
        Assert.Contains($"it must be {side}x{side} px", (await RefineProblemAsync(PngHeaderOnly(100000, 100000)))[0].GetString());
        Assert.Contains($"it must be {side}x{side} px", (await RefineProblemAsync(Png(side, side / 2, SKColors.White)))[0].GetString());
        Assert.Contains($"it must be {side}x{side} px", (await RefineProblemAsync(Png(side * 5, side * 5, SKColors.White)))[0].GetString());
        var whole = Noise(side);
        Assert.Contains("truncated", (await RefineProblemAsync(whole[..(whole.Length / 2)]))[0].GetString());
    }

    [Fact]
    public void A_mask_at_twice_the_size_is_read_block_by_block_and_a_huge_header_allocates_nothing()
    {
        using var bitmap = new SKBitmap(8, 8);
        bitmap.Erase(SKColors.Black);
        for (int y = 0; y < 8; y++) for (int x = 4; x < 8; x++) bitmap.SetPixel(x, y, SKColors.White);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        var (mask, problem) = MaskImage.Decode(data.ToArray(), 4, 4);
        Assert.Null(problem);
        Assert.Equal(Enumerable.Range(0, 16).Select(i => i % 4 >= 2), mask!);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var (none, refusal) = MaskImage.Decode(PngHeaderOnly(12000, 12000), 64, 64);
        Assert.Null(none);
        Assert.NotNull(refusal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1024 * 1024, "the refusal decoded pixels");
    }

    [Fact]
    public async Task Settings_inside_an_uploaded_png_are_checked_like_a_request_and_the_picture_is_kept()
    {
        var picture = Png(side, side, SKColors.Green);
        var hostile = PngText.With(picture, new Dictionary<string, string>
        {
            [ImageParameters.JsonKey] = """{"prompt": "green apple", "seed": -5, "steps": [100000, -1], "stages": 99, "origin": 77, "guidanceScale": 1e308, "width": 9999, "height": 1, "model": "m"}""",
        });
        var id = await UploadIdAsync(app.Client, hostile);
        var info = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/images/{id}");
        var parameters = info.GetProperty("parameters");
        Assert.Equal("green apple", parameters.GetProperty("prompt").GetString());
        foreach (var dropped in new[] { "seed", "steps", "stages", "guidanceScale" }) Assert.Equal(JsonValueKind.Null, parameters.GetProperty(dropped).ValueKind);
        Assert.Equal("uploaded", parameters.GetProperty("origin").GetString()!.ToLowerInvariant());
        Assert.Equal(side, parameters.GetProperty("width").GetInt32());
        Assert.Equal("m", parameters.GetProperty("model").GetString());

        var huge = PngText.With(picture, new Dictionary<string, string> { [ImageParameters.JsonKey] = JsonSerializer.Serialize(new { prompt = new string('a', 2_000_000) }) });
        var hugeId = await UploadIdAsync(app.Client, huge);
        var stored = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/images/{hugeId}");
        Assert.Equal(JsonValueKind.Null, stored.GetProperty("parameters").ValueKind);
        Assert.True((await app.Client.GetByteArrayAsync($"/api/v1/images/{hugeId}.png")).Length < 100_000);
        Assert.True((await app.Client.GetStringAsync("/api/v1/gallery")).Length < 100_000);
    }

    [Fact]
    public async Task NaN_strength_undefined_modes_seed_overflow_and_control_characters_are_400()
    {
        var mask = Convert.ToBase64String(Png(side, side, SKColors.White));
        var refused = new (string Path, string Body, string Field)[]
        {
            ("/api/v1/refinements", $$"""{"parentImageId": "{{image}}", "prompt": "red heart", "mask": "{{mask}}", "strength": "NaN"}""", ""),
            ("/api/v1/upscales", $$"""{"imageId": "{{image}}", "prompt": "red heart", "mode": "refine", "strength": "NaN"}""", ""),
            ("/api/v1/upscales", $$"""{"imageId": "{{image}}", "prompt": "red heart", "mode": 5}""", ""),
            ("/api/v1/upscales", $$"""{"imageId": "{{image}}", "prompt": "red heart", "mode": -1}""", ""),
            ("/api/v1/generations", """{"prompt": "red heart", "seed": 9223372036854775807, "count": 2}""", "seed"),
            ("/api/v1/generations", """{"prompt": "red\u0000heart"}""", "prompt"),
            ("/api/v1/generations", """{"prompt": "red heart", "negativePrompt": "blue\u0007"}""", "negativePrompt"),
        };
        foreach (var (path, body, field) in refused)
        {
            using var response = await app.Client.PostAsync(path, JsonContent(body));
            var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
            if (field.Length > 0) Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{body}: {problem}");
        }
        Assert.Equal(0, app.Service<GenerationQueue>().Known);

        // Zero-width characters only: nothing a person can see, so nothing the model could follow.
        using (var invisible = await app.Client.PostAsync("/api/v1/generations", JsonContent("""{"prompt": "\u200B\u200D \uFEFF"}""")))
            Assert.StartsWith("The prompt has only invisible characters (such as U+200B",
                (await AssertProblemAsync(invisible, HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("prompt")[0].GetString());
        Assert.Equal(0, app.Service<GenerationQueue>().Known);

        // The page and the hub call the service with values JSON cannot carry: the service refuses them the same way.
        var service = app.Service<GenerationService>();
        var owner = Guid.NewGuid();
        Assert.Contains("strength", (await service.SubmitUpscaleAsync(owner, new UpscaleInput { ImageId = image, Prompt = "x", Mode = UpscaleMode.Refine, Strength = double.NaN })).Errors!.Keys);
        Assert.Contains("mode", (await service.SubmitUpscaleAsync(owner, new UpscaleInput { ImageId = image, Prompt = "x", Mode = (UpscaleMode)5 })).Errors!.Keys);
        Assert.Contains("seed", service.Submit(owner, new GenerationInput { Prompt = "red heart", Seed = long.MaxValue, Count = 2 }).Errors!.Keys);
        Assert.Null(service.Submit(owner, new GenerationInput { Prompt = "red heart", Seed = long.MaxValue - 1, Count = 2 }).Errors);
    }

    [Fact]
    public async Task The_hub_refuses_a_null_request_and_unknown_fields_with_a_message()
    {
        await using var hub = await app.ConnectAsync();
        var empty = await Assert.ThrowsAnyAsync<HubException>(async () =>
        {
            await foreach (var _ in hub.StreamAsync<GenerationEvent>("Generate", null)) { }
        });
        Assert.Contains("Send a generation request", empty.Message);

        var typo = await Assert.ThrowsAnyAsync<HubException>(async () =>
        {
            await foreach (var _ in hub.StreamAsync<GenerationEvent>("Generate", new { prompt = "red heart", seeed = 3 })) { }
        });
        Assert.Contains("'seeed' is not a field of a generation request.", typo.Message); // named, in the API's words

        var wrongType = await Assert.ThrowsAnyAsync<HubException>(async () =>
        {
            await foreach (var _ in hub.StreamAsync<GenerationEvent>("Generate", new { prompt = "red heart", steps = "many" })) { }
        });
        Assert.Contains("The field 'steps' has a value of the wrong type or out of range.", wrongType.Message);

        var twice = await Assert.ThrowsAnyAsync<HubException>(async () =>
        {
            using var body = JsonDocument.Parse("""{"prompt": "red heart", "prompt": "blue heart"}""");
            await foreach (var _ in hub.StreamAsync<GenerationEvent>("Generate", body.RootElement)) { }
        });
        Assert.Contains("The field 'prompt' is given more than once", twice.Message);
        Assert.Equal(0, app.Service<GenerationQueue>().Known);
    }

    [Fact]
    public async Task A_field_given_twice_is_refused_by_name_and_nothing_is_made()
    {
        // Last-one-wins would read this as a link to the whole gallery.
        using (var share = await app.Client.PostAsync("/api/v1/shares", JsonContent($$"""{"imageId": "{{image}}", "imageId": null}""")))
        {
            var problem = await AssertProblemAsync(share, HttpStatusCode.BadRequest);
            Assert.Equal("The field 'imageId' is given more than once; give each field once.", problem.GetProperty("detail").GetString());
        }
        Assert.Equal(0, (await app.Client.GetFromJsonAsync<JsonElement>("/api/v1/shares")).GetArrayLength());

        using (var generation = await app.Client.PostAsync("/api/v1/generations", JsonContent("""{"prompt": "red heart", "seed": 1, "seed": 2}""")))
            Assert.Contains("'seed' is given more than once", (await AssertProblemAsync(generation, HttpStatusCode.BadRequest)).GetProperty("detail").GetString());
        Assert.Equal(0, app.Service<GenerationQueue>().Known);
    }
}
