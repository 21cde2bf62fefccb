using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RefineWeb.Security;
using static RefineWeb.Tests.Security.HostileRequests;

namespace RefineWeb.Tests.Security;

/// <summary>Finding 7: nosniff, framing, CSP and caching headers on pages, API answers and images.</summary>
public sealed class HeaderTests : IAsyncLifetime
{
    TinyModelApp app = null!;

    public async Task InitializeAsync() => app = await TinyModelApp.StartAsync();

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task Every_kind_of_response_carries_the_security_headers()
    {
        var image = await UploadIdAsync(app.Client, Png(16, 16, SkiaSharp.SKColors.Red));
        foreach (var path in new[] { "/", "/gallery", "/api/v1/gallery", $"/api/v1/images/{image}.png", "/api/v1/images/none", "/healthz", "/css/app.css" })
        {
            using var response = await app.Client.GetAsync(path);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("SAMEORIGIN", response.Headers.GetValues("X-Frame-Options").Single());
            var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
            Assert.Equal(SecurityHeaders.ContentSecurityPolicy, csp);
            Assert.Contains("script-src 'self'", csp);
        }
    }

    [Fact]
    public async Task Api_answers_are_not_cached_and_private_images_only_by_the_browser()
    {
        var image = await UploadIdAsync(app.Client, Png(16, 16, SkiaSharp.SKColors.Red));
        using (var gallery = await app.Client.GetAsync("/api/v1/gallery"))
            Assert.True(gallery.Headers.CacheControl?.NoStore, gallery.Headers.CacheControl?.ToString());
        using (var png = await app.Client.GetAsync($"/api/v1/images/{image}.png"))
        {
            Assert.True(png.Headers.CacheControl?.Private, png.Headers.CacheControl?.ToString());
            Assert.False(png.Headers.CacheControl?.Public ?? false);
        }
        using var share = await app.Client.PostAsJsonAsync("/api/v1/shares", new { imageId = image });
        var url = (await share.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!;
        using var page = await app.Client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task The_antiforgery_cookie_is_secure()
    {
        using var page = await app.Client.GetAsync("/");
        var cookies = page.Headers.TryGetValues("Set-Cookie", out var set) ? set.ToList() : [];
        var antiforgery = Assert.Single(cookies, c => c.StartsWith(".AspNetCore.Antiforgery", StringComparison.Ordinal));
        Assert.Contains("secure", antiforgery, StringComparison.OrdinalIgnoreCase);
    }
}
