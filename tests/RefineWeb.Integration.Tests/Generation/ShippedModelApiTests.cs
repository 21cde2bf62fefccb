using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RefineWeb.Engine.Imaging;
using RefineWeb.Generation;
using SkiaSharp;

namespace RefineWeb.Tests.Generation;

/// <summary>The shipped five-stage model at its full size, through the REST API: uploads at 256 px and an upscale to 256 px.</summary>
public sealed class ShippedModelApiTests : IAsyncLifetime
{
    RefineWebFactory factory = null!;
    HttpClient client = null!;

    public async Task InitializeAsync()
    {
        factory = new RefineWebFactory(Path.Combine(RefineWebFactory.RepositoryRoot, "models", "emoji-cascade-v1"));
        client = factory.CreateClient();
        await factory.Services.GetRequiredService<ModelHost>().Loaded;
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    /// <summary>A red disc on white, as an opaque PNG.</summary>
    static byte[] Disc(int side)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var paint = new SKPaint { Color = SKColors.Red, IsAntialias = true };
            canvas.DrawCircle(side / 2f, side / 2f, side / 3f, paint);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    async Task<string> UploadAsync(byte[] png)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(png), "file", "disc.png" } };
        using var response = await client.PostAsync("/api/v1/uploads", form);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    async Task<byte[]> RunAsync(string path, object body)
    {
        using var created = await client.PostAsJsonAsync(path, body);
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        JsonElement status;
        do
        {
            await Task.Delay(50, timeout.Token);
            status = await client.GetFromJsonAsync<JsonElement>($"/api/v1/generations/{id}", timeout.Token);
        } while (status.GetProperty("status").GetString() is "queued" or "running");
        Assert.Equal("succeeded", status.GetProperty("status").GetString());
        return await client.GetByteArrayAsync(status.GetProperty("images")[0].GetString());
    }

    [Fact]
    public async Task A_256_px_upload_is_brushed_and_refined_at_its_size_with_everything_outside_the_mask_kept()
    {
        var parentPng = Disc(256);
        var parentId = await UploadAsync(parentPng);
        var mask = new bool[256 * 256];
        for (int y = 100; y < 156; y++) for (int x = 100; x < 156; x++) mask[y * 256 + x] = true;
        var refined = await RunAsync("/api/v1/refinements", new
        {
            parentImageId = parentId, mask = MaskImage.ToPng(mask, 256, 256), prompt = "blue heart", seed = 3, feather = 0,
        });

        using var parentBitmap = SKBitmap.Decode(parentPng);
        using var result = SKBitmap.Decode(refined);
        Assert.Equal((256, 256), (result.Width, result.Height));
        int changed = 0;
        for (int y = 0; y < 256; y++)
            for (int x = 0; x < 256; x++)
            {
                bool same = parentBitmap.GetPixel(x, y) == result.GetPixel(x, y);
                if (!mask[y * 256 + x]) Assert.True(same, $"pixel {x},{y} outside the mask changed");
                else if (!same) changed++;
            }
        Assert.True(changed > 500, $"{changed} masked pixels changed");
    }

    [Fact]
    public async Task A_32_px_upload_is_upscaled_x8_to_256_px()
    {
        var id = await UploadAsync(Disc(32));
        using var result = SKBitmap.Decode(await RunAsync("/api/v1/upscales", new { imageId = id, prompt = "red circle", seed = 1 }));
        Assert.Equal((256, 256), (result.Width, result.Height));
        // Still the red disc on white: the refiners add detail, not a different picture.
        var centre = result.GetPixel(128, 128);
        var corner = result.GetPixel(4, 4);
        Assert.True(centre.Red > 180 && centre.Green < 90 && centre.Blue < 90, $"centre {centre}");
        Assert.True(corner.Red > 200 && corner.Green > 200 && corner.Blue > 200, $"corner {corner}");
    }
}
