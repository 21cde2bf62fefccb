using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RefineWeb.Engine.Imaging;
using RefineWeb.Generation;
using SkiaSharp;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Tests.Generation;

/// <summary>Uploads (and every refusal), masked refinements and upscales over the REST API, on the real host.</summary>
public sealed class RefineAndUploadApiTests : IAsyncLifetime
{
    TinyModelApp app = null!;

    public async Task InitializeAsync() => app = await TinyModelApp.StartAsync();
    public async Task DisposeAsync() => await app.DisposeAsync();

    static byte[] Png(int width, int height, SKColor color, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(color);
        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }

    async Task<HttpResponseMessage> UploadAsync(byte[] file, string name = "picture.png")
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(file), "file", name } };
        return await app.Client.PostAsync("/api/v1/uploads", form);
    }

    async Task<string> UploadedIdAsync(byte[] file)
    {
        using var response = await UploadAsync(file);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    async Task<byte[]> FinishedImageAsync(string jobId)
    {
        var done = await app.WaitForAsync(jobId);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        return await app.Client.GetByteArrayAsync(done.GetProperty("images")[0].GetString());
    }

    static RgbImage Rgb(byte[] png)
    {
        using var bitmap = SKBitmap.Decode(png);
        using var tensor = ImageTensor.FromBitmap(bitmap);
        return ImageTensor.ToRgb(tensor);
    }

    public static TheoryData<string, byte[]> Refusals()
    {
        var valid = Png(32, 32, SKColors.Red);
        return new()
        {
            { "empty", [] },
            { "a renamed text file", "just some text, not a picture"u8.ToArray() },
            { "a truncated PNG", valid[..(valid.Length / 2)] },
            { "a decompression bomb (3000 x 3000 px in a few KB)", Png(3000, 3000, SKColors.White) },
        };
    }

    /// <summary>Gallery rows and image files: an upload refused must leave both as they were.</summary>
    async Task<(int Rows, int Files)> StoredAsync()
    {
        var gallery = await app.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/gallery");
        var images = Path.Combine(app.Factory.DataDirectory, "images");
        return (gallery!.Length, Directory.Exists(images) ? Directory.GetFiles(images, "*", SearchOption.AllDirectories).Length : 0);
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Bad_uploads_are_refused_with_a_reason_and_nothing_is_stored(string what, byte[] file)
    {
        var before = await StoredAsync();
        using var response = await UploadAsync(file);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var message = problem.GetProperty("errors").GetProperty("file")[0].GetString();
        Assert.False(string.IsNullOrWhiteSpace(message), what);
        Assert.Equal(before, await StoredAsync());
    }

    [Fact]
    public async Task Png_jpeg_and_webp_are_accepted_and_transparency_becomes_white()
    {
        foreach (var format in new[] { SKEncodedImageFormat.Jpeg, SKEncodedImageFormat.Webp })
            await UploadedIdAsync(Png(40, 30, SKColors.Blue, format));
        var id = await UploadedIdAsync(Png(20, 20, new SKColor(255, 0, 0, 0))); // fully transparent red
        var info = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/images/{id}");
        Assert.Equal("uploaded", info.GetProperty("origin").GetString());
        var stored = Rgb(await app.Client.GetByteArrayAsync($"/api/v1/images/{id}.png"));
        Assert.All(stored.Pixels, value => Assert.Equal(255, value));
    }

    [Fact]
    public async Task A_form_of_thousands_of_small_fields_is_refused_for_its_fields_not_its_size()
    {
        int before = (await app.Client.GetFromJsonAsync<JsonElement>("/api/v1/gallery")).GetArrayLength();
        using var form = new MultipartFormDataContent { { new ByteArrayContent(Png(32, 32, SKColors.Red)), "file", "small.png" } };
        for (int i = 0; i < 5000; i++) form.Add(new StringContent("x"), $"f{i}");
        using var response = await app.Client.PostAsync("/api/v1/uploads", form);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("file")[0].GetString();
        Assert.StartsWith("The form has too many fields", message);
        Assert.Equal(before, (await app.Client.GetFromJsonAsync<JsonElement>("/api/v1/gallery")).GetArrayLength());
    }

    [Fact]
    public async Task A_phone_photo_is_stored_upright_by_its_exif_orientation()
    {
        // Stored as the sensor saw it: 40x20, red on the left, blue on the right; EXIF 6 says "turn 90° clockwise".
        using var sideways = new SKBitmap(new SKImageInfo(40, 20, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(sideways))
        {
            canvas.Clear(SKColors.Red);
            using var blue = new SKPaint { Color = SKColors.Blue };
            canvas.DrawRect(20, 0, 20, 20, blue);
        }
        using var jpeg = sideways.Encode(SKEncodedImageFormat.Jpeg, 95);
        byte[] exif = [0xFF, 0xE1, 0, 34, (byte)'E', (byte)'x', (byte)'i', (byte)'f', 0, 0,
            (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, // little-endian TIFF, first IFD at 8
            1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, // one entry: Orientation (0x0112), SHORT, 6
            0, 0, 0, 0];
        var bytes = jpeg.ToArray();
        byte[] photo = [.. bytes[..2], .. exif, .. bytes[2..]];

        var id = await UploadedIdAsync(photo);
        var stored = Rgb(await app.Client.GetByteArrayAsync($"/api/v1/images/{id}.png"));
        Assert.Equal((20, 40), (stored.Width, stored.Height)); // tall, as taken
        byte[] Pixel(int x, int y) => stored.Pixels.AsSpan(((y * stored.Width) + x) * 3, 3).ToArray();
        Assert.True(Pixel(10, 8) is [> 200, < 60, < 60], $"top should be red: {string.Join(",", Pixel(10, 8))}");
        Assert.True(Pixel(10, 32) is [< 60, < 60, > 200], $"bottom should be blue: {string.Join(",", Pixel(10, 32))}");
    }

    [Fact]
    public async Task A_refinement_changes_only_the_masked_pixels_and_records_its_lineage()
    {
        var generation = await app.PostAsync(new { prompt = "red heart", seed = 4 });
        var done = await app.WaitForAsync(generation);
        var parentUrl = done.GetProperty("images")[0].GetString()!;
        var parentId = Path.GetFileNameWithoutExtension(parentUrl);
        var parent = Rgb(await app.Client.GetByteArrayAsync(parentUrl));

        var mask = new bool[64 * 64];
        for (int y = 10; y < 30; y++)
            for (int x = 30; x < 50; x++) mask[y * 64 + x] = true;
        var job = await app.PostRefinementAsync(new { parentImageId = parentId, mask = MaskImage.ToPng(mask, 64, 64), prompt = "blue heart", strength = 0.8, seed = 1 });
        var refinedPng = await FinishedImageAsync(job);
        var refined = Rgb(refinedPng);

        // No feather given: the default soft edge (2 px at 64 px); everything beyond mask plus feather is the parent's.
        var editable = MaskCompositor.Editable(mask, 64, 64, GenerationLimits.DefaultFeather(64));
        int changed = 0, changedInBand = 0;
        for (int p = 0; p < mask.Length; p++)
        {
            bool same = parent.Pixels.AsSpan(3 * p, 3).SequenceEqual(refined.Pixels.AsSpan(3 * p, 3));
            if (!editable[p]) Assert.True(same, $"pixel {p % 64},{p / 64} outside the mask and its feather changed");
            else if (!mask[p] && !same) changedInBand++;
            else if (!same) changed++;
        }
        Assert.True(changedInBand > 0, "the feather band blends nothing");
        Assert.True(changed > 100, $"{changed} masked pixels changed");

        var refinedId = Path.GetFileNameWithoutExtension((await app.StatusAsync(job)).GetProperty("images")[0].GetString()!);
        var info = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/images/{refinedId}");
        Assert.Equal("refined", info.GetProperty("origin").GetString());
        Assert.Equal(parentId, info.GetProperty("parentId").GetString());
        var storedMask = MaskImage.Decode(await app.Client.GetByteArrayAsync(info.GetProperty("maskUrl").GetString()), 64, 64).Mask!;
        Assert.Equal(mask, storedMask);
    }

    [Fact]
    public async Task A_layout_drawn_on_an_image_refines_only_its_regions_and_keeps_them_in_the_settings()
    {
        var done = await app.WaitForAsync(await app.PostAsync(new { prompt = "green apple", seed = 4 }));
        var parentUrl = done.GetProperty("images")[0].GetString()!;
        var parentId = Path.GetFileNameWithoutExtension(parentUrl);
        var parent = Rgb(await app.Client.GetByteArrayAsync(parentUrl));
        // No mask: the two regions over the top half are what is re-refined.
        var job = await app.PostRefinementAsync(new
        {
            parentImageId = parentId, prompt = "heart", seed = 1, strength = 1.0, feather = 0,
            regions = new object[]
            {
                new { prompt = "red heart", rect = new { x = 0, y = 0, width = 0.5, height = 0.5 } },
                new { prompt = "blue heart", rect = new { x = 0.5, y = 0, width = 0.5, height = 0.5 } },
            },
        });
        var refined = Rgb(await FinishedImageAsync(job));
        Assert.True(parent.Pixels.AsSpan(64 * 32 * 3).SequenceEqual(refined.Pixels.AsSpan(64 * 32 * 3)), "the bottom half, outside every region, changed");
        Assert.False(parent.Pixels.AsSpan(0, 64 * 32 * 3).SequenceEqual(refined.Pixels.AsSpan(0, 64 * 32 * 3)), "the regions were not refined");

        var refinedId = Path.GetFileNameWithoutExtension((await app.StatusAsync(job)).GetProperty("images")[0].GetString()!);
        var info = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/images/{refinedId}");
        Assert.Equal(["red heart", "blue heart"], info.GetProperty("parameters").GetProperty("regions").EnumerateArray().Select(r => r.GetProperty("prompt").GetString()));
        Assert.Equal(parentId, info.GetProperty("parentId").GetString());

        // A bad region is named and nothing is queued.
        using var refused = await app.Client.PostAsJsonAsync("/api/v1/refinements", new
        {
            parentImageId = parentId, prompt = "heart", regions = new object[] { new { prompt = "red heart", rect = new { x = 0.6, y = 0, width = 0.5, height = 1 } } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True((await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("regions[0].rect.width", out _));
        Assert.Equal(0, app.Service<GenerationQueue>().Length);
    }

    [Theory]
    [InlineData("missing", "mask")]
    [InlineData("empty", "mask")]
    [InlineData("strength", "strength")]
    [InlineData("parent", "parentImageId")]
    [InlineData("feather", "feather")]
    public async Task Bad_refinements_get_a_validation_problem_and_queue_nothing(string fault, string field)
    {
        var parentId = await UploadedIdAsync(Png(64, 64, SKColors.Green));
        var someMask = MaskImage.ToPng([.. Enumerable.Range(0, 64 * 64).Select(i => i % 3 == 0)], 64, 64);
        object body = fault switch
        {
            "missing" => new { parentImageId = parentId, prompt = "cat face" },
            "empty" => new { parentImageId = parentId, prompt = "cat face", mask = MaskImage.ToPng(new bool[64 * 64], 64, 64) },
            "strength" => new { parentImageId = parentId, prompt = "cat face", mask = someMask, strength = 0.1 },
            "feather" => new { parentImageId = parentId, prompt = "cat face", mask = someMask, feather = 99 },
            _ => new { parentImageId = "nope", prompt = "cat face", mask = someMask },
        };
        using var response = await app.Client.PostAsJsonAsync("/api/v1/refinements", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(0, app.Service<GenerationQueue>().Length);
    }

    [Fact]
    public async Task A_16_px_upload_is_upscaled_to_64_px_and_a_64_px_one_is_refined_at_size_instead()
    {
        var small = await UploadedIdAsync(Png(16, 16, SKColors.Orange));
        var job = await app.PostUpscaleAsync(new { imageId = small, prompt = "red heart", seed = 2 });
        using (var upscaled = SKBitmap.Decode(await FinishedImageAsync(job)))
            Assert.Equal((64, 64), (upscaled.Width, upscaled.Height));

        var large = await UploadedIdAsync(Png(64, 64, SKColors.Orange));
        using (var refused = await app.Client.PostAsJsonAsync("/api/v1/upscales", new { imageId = large, prompt = "red heart" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("refine", await refused.Content.ReadAsStringAsync());
        }
        var refine = await app.PostUpscaleAsync(new { imageId = large, prompt = "red heart", mode = "refine", strength = 0.5 });
        using var refined = SKBitmap.Decode(await FinishedImageAsync(refine));
        Assert.Equal((64, 64), (refined.Width, refined.Height));
    }

    [Fact]
    public async Task The_upscale_factor_chooses_how_far_up_the_cascade_an_upload_goes_and_a_factor_it_cannot_reach_is_refused()
    {
        var small = await UploadedIdAsync(Png(16, 16, SKColors.Orange));
        var job = await app.PostUpscaleAsync(new { imageId = small, prompt = "red heart", seed = 2, factor = 2 });
        using (var upscaled = SKBitmap.Decode(await FinishedImageAsync(job)))
            Assert.Equal((32, 32), (upscaled.Width, upscaled.Height)); // one refiner ran, not the whole way to 64 px

        var before = (await app.Client.GetFromJsonAsync<JsonElement>("/api/v1/gallery")).GetArrayLength();
        foreach (var (body, field, message) in new (object, string, string)[]
        {
            (new { imageId = small, prompt = "red heart", factor = 3 }, "factor", "x2, x4; not x3"),
            (new { imageId = small, prompt = "red heart", factor = 8 }, "factor", "x2, x4; not x8"),
            (new { imageId = small, prompt = "red heart", mode = "refine", factor = 2 }, "factor", "applies to mode \"upscale\""),
        })
        {
            using var refused = await app.Client.PostAsJsonAsync("/api/v1/upscales", body);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains(message, problem.GetProperty("errors").GetProperty(field)[0].GetString());
        }
        Assert.Equal(before, (await app.Client.GetFromJsonAsync<JsonElement>("/api/v1/gallery")).GetArrayLength());
    }

    [Fact]
    public async Task Generated_pngs_carry_their_parameters_and_an_upload_of_one_brings_them_back()
    {
        var job = await app.PostAsync(new { prompt = "red heart", negativePrompt = "blue", seed = 4, steps = new[] { 3, 2, 2 }, guidanceScale = 2.5 });
        var png = await FinishedImageAsync(job);
        var (entries, problems) = PngText.Read(png);
        Assert.Empty(problems);
        Assert.Equal("red heart\nNegative prompt: blue\nSteps: 3/2/2, Guidance: 2.5, Seed: 4, Size: 64x64, Model: emoji-cascade-v1", entries["parameters"]);

        using var response = await UploadAsync(png);
        var info = await response.Content.ReadFromJsonAsync<JsonElement>();
        var parameters = info.GetProperty("parameters");
        Assert.Equal("red heart", parameters.GetProperty("prompt").GetString());
        Assert.Equal(4, parameters.GetProperty("seed").GetInt64());
        Assert.Equal([3, 2, 2], parameters.GetProperty("steps").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public async Task A_wide_upload_is_cropped_or_padded_square_when_asked_and_an_unknown_fit_is_refused()
    {
        async Task<HttpResponseMessage> Upload(string fit)
        {
            using var form = new MultipartFormDataContent { { new ByteArrayContent(Png(200, 120, SKColors.Red)), "file", "wide.png" }, { new StringContent(fit), "fit" } };
            return await app.Client.PostAsync("/api/v1/uploads", form);
        }
        foreach (var (fit, side) in new[] { ("crop", 120), ("pad", 200) })
        {
            using var response = await Upload(fit);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
            using var bitmap = SKBitmap.Decode(await app.Client.GetByteArrayAsync($"/api/v1/images/{id}.png"));
            Assert.Equal((side, side), (bitmap.Width, bitmap.Height));
            Assert.Equal(fit == "pad" ? SKColors.White : SKColors.Red, bitmap.GetPixel(side / 2, 5)); // pad: white above the picture
            Assert.Equal(SKColors.Red, bitmap.GetPixel(side / 2, side / 2));
        }
        int before = (await app.Client.GetFromJsonAsync<JsonElement>("/api/v1/gallery")).GetArrayLength();
        using var refused = await Upload("stretch");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Fit must be", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("fit")[0].GetString());
        Assert.Equal(before, (await app.Client.GetFromJsonAsync<JsonElement>("/api/v1/gallery")).GetArrayLength());
    }

    [Fact]
    public async Task A_damaged_parameters_chunk_is_ignored_and_the_picture_still_uploads()
    {
        var png = PngText.With(Png(16, 16, SKColors.Red), new Dictionary<string, string> { ["refineweb"] = """{"prompt":"red heart","seed":1}""" });
        int at = Enumerable.Range(0, png.Length - 13).First(i => png.AsSpan(i, 13).SequenceEqual("tEXtrefineweb"u8));
        png[at + 20] ^= 0x55; // corrupt the JSON: the CRC no longer matches
        using var response = await UploadAsync(png);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var info = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(JsonValueKind.Null, info.GetProperty("parameters").ValueKind);
    }
}
