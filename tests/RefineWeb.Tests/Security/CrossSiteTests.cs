using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static RefineWeb.Tests.Security.HostileRequests;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Tests.Security;

/// <summary>Finding 6: state-changing requests from another origin are refused, for REST and the hub handshake.</summary>
public sealed class CrossSiteTests : IAsyncLifetime
{
    const string Evil = "http://evil.example";
    TinyModelApp app = null!;

    public async Task InitializeAsync() => app = await TinyModelApp.StartAsync(new Dictionary<string, string> { ["Security:AllowedOrigins:0"] = "https://studio.example" });

    public async Task DisposeAsync() => await app.DisposeAsync();

    async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, string? origin, string? referer = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (referer is not null) request.Headers.Referrer = new Uri(referer);
        return await app.Client.SendAsync(request);
    }

    [Fact]
    public async Task Requests_from_another_origin_change_nothing()
    {
        var image = await UploadIdAsync(app.Client, Png(16, 16, SkiaSharp.SKColors.Red));
        using var share = await app.Client.PostAsJsonAsync("/api/v1/shares", new { imageId = image });
        var shareId = (await share.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        var attempts = new (HttpMethod Method, string Path, Func<HttpContent?> Body)[]
        {
            (HttpMethod.Post, "/api/v1/generations", () => JsonContent.Create(new { prompt = "red heart" })),
            (HttpMethod.Post, "/api/v1/generations", () => new StringContent("{\"prompt\": \"red heart\"}")),
            (HttpMethod.Post, "/api/v1/shares", () => JsonContent.Create(new { })),
            (HttpMethod.Post, "/api/v1/uploads", () => new MultipartFormDataContent { { new ByteArrayContent(Png(8, 8, SkiaSharp.SKColors.Blue)), "file", "x.png" } }),
            (HttpMethod.Delete, $"/api/v1/shares/{shareId}", () => null),
            (HttpMethod.Delete, $"/api/v1/images/{image}", () => null),
            (HttpMethod.Post, "/hubs/generation/negotiate?negotiateVersion=1", () => null),
        };
        foreach (var (method, path, body) in attempts)
        {
            using (var byOrigin = await SendAsync(method, path, body(), Evil))
                Assert.Contains(Evil, (await AssertProblemAsync(byOrigin, HttpStatusCode.Forbidden)).GetProperty("detail").GetString());
            using (var byReferer = await SendAsync(method, path, body(), null, Evil + "/page"))
                await AssertProblemAsync(byReferer, HttpStatusCode.Forbidden);
            using (var sibling = await SendAsync(method, path, body(), "https://localhost:8443"))
                await AssertProblemAsync(sibling, HttpStatusCode.Forbidden); // another port on the same host is another origin
        }
        Assert.Equal(1, await GalleryCountAsync(app.Client));
        Assert.Single((await app.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/shares"))!);
        Assert.Equal(0, app.Service<GenerationQueue>().Known);
    }

    [Fact]
    public async Task The_apps_own_origin_a_configured_one_and_clients_without_an_origin_pass()
    {
        foreach (var origin in new[] { "https://localhost", "https://studio.example", null })
        {
            using var response = await SendAsync(HttpMethod.Post, "/api/v1/shares", JsonContent.Create(new { }), origin);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        using var negotiate = await SendAsync(HttpMethod.Post, "/hubs/generation/negotiate?negotiateVersion=1", null, "https://localhost");
        Assert.Equal(HttpStatusCode.OK, negotiate.StatusCode);
        // Reading is not refused: a cross-site GET cannot read the answer (no CORS), and links must keep working.
        using var read = await SendAsync(HttpMethod.Get, "/api/v1/gallery", null, Evil);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }
}
