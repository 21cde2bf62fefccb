using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RefineWeb.Generation;
using SkiaSharp;

namespace RefineWeb.Tests.Generation;

/// <summary>The real host on the shipped model (models/emoji-cascade-v1), with the API calls its tests make: upload, run a job to its images.</summary>
public sealed class ShippedModelApp : IAsyncLifetime
{
    RefineWebFactory factory = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        factory = new RefineWebFactory(Path.Combine(RefineWebFactory.RepositoryRoot, "models", "emoji-cascade-v1"));
        Client = factory.CreateClient();
        await factory.Services.GetRequiredService<ModelHost>().Loaded;
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    /// <summary>A red disc on white, as an opaque PNG.</summary>
    public static byte[] Disc(int side)
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

    /// <summary>Uploads a PNG; its image id.</summary>
    public async Task<string> UploadAsync(byte[] png)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(png), "file", "disc.png" } };
        using var response = await Client.PostAsync("/api/v1/uploads", form);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    /// <summary>Posts a job, waits (at most 3 minutes) until it succeeds and returns its images' PNG bytes.</summary>
    public async Task<List<byte[]>> RunAsync(string path, object body)
    {
        using var created = await Client.PostAsJsonAsync(path, body);
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        JsonElement status;
        do
        {
            await Task.Delay(50, timeout.Token);
            status = await Client.GetFromJsonAsync<JsonElement>($"/api/v1/generations/{id}", timeout.Token);
        } while (status.GetProperty("status").GetString() is "queued" or "running");
        Assert.Equal("succeeded", status.GetProperty("status").GetString());
        var images = new List<byte[]>();
        foreach (var url in status.GetProperty("images").EnumerateArray()) images.Add(await Client.GetByteArrayAsync(url.GetString()));
        return images;
    }
}
