using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SkiaSharp;

namespace RefineWeb.Tests.Security;

/// <summary>Requests a careless or hostile client sends, and what every refusal must look like.</summary>
static class HostileRequests
{
    public static byte[] Png(int width, int height, SKColor color)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(color);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    public static async Task<HttpResponseMessage> UploadAsync(HttpClient client, byte[] file, string name = "picture.png")
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(file), "file", name } };
        return await client.PostAsync("/api/v1/uploads", form);
    }

    /// <summary>Uploads a picture and returns its image id (asserting 201).</summary>
    public static async Task<string> UploadIdAsync(HttpClient client, byte[] file)
    {
        using var response = await UploadAsync(client, file);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    /// <summary>The response is a ProblemDetails with this status, a title and a detail or field errors; returns it.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.True(problem.TryGetProperty("detail", out _) || problem.TryGetProperty("errors", out _), $"{response.RequestMessage?.RequestUri}: {body}");
        Assert.DoesNotContain("Exception", body); // no .NET exception text reaches the client
        return problem;
    }

    public static async Task<int> GalleryCountAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement[]>("/api/v1/gallery"))!.Length;

    /// <summary>Image files (not leftovers) under the app's image folder.</summary>
    public static int ImageFiles(string dataDirectory)
    {
        var images = Path.Combine(dataDirectory, "images");
        return Directory.Exists(images) ? Directory.EnumerateFiles(images, "*.png", SearchOption.AllDirectories).Count() : 0;
    }
}
