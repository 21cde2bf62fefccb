using System.Net;

namespace RefineWeb.Tests;

public sealed class FaviconTests : IAsyncLifetime
{
    TinyModelApp app = null!;

    public async Task InitializeAsync() => app = await TinyModelApp.StartAsync();
    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task Every_page_names_a_favicon_that_is_served_as_png_and_as_ico()
    {
        var html = await app.Client.GetStringAsync("/");
        Assert.Matches("""<link rel="icon" type="image/png" href="favicon.png"\s*/?>""", html);

        using var png = await app.Client.GetAsync("/favicon.png");
        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
        Assert.Equal("image/png", png.Content.Headers.ContentType!.MediaType);
        using var bitmap = SkiaSharp.SKBitmap.Decode(await png.Content.ReadAsByteArrayAsync());
        Assert.Equal((64, 64), (bitmap.Width, bitmap.Height));

        // Browsers and crawlers that ask for /favicon.ico without reading the page get one too: an ICO holding that PNG.
        using var ico = await app.Client.GetAsync("/favicon.ico");
        Assert.Equal(HttpStatusCode.OK, ico.StatusCode);
        var bytes = await ico.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0, 0, 1, 0, 1, 0 }, bytes[..6]);
        Assert.Equal(await (await app.Client.GetAsync("/favicon.png")).Content.ReadAsByteArrayAsync(), bytes[22..]);
    }
}
