using Microsoft.Playwright;

namespace RefineWeb.Tests.Browser;

/// <summary>The gallery in Chromium: live updates across tabs of one session, and a share link opened with no session at all.</summary>
public sealed class GalleryBrowserTests
{
    [Fact]
    public async Task A_generated_image_appears_in_the_open_gallery_and_its_share_link_opens_read_only_until_revoked()
    {
        await using var app = await BrowserApp.StartAsync();
        var page = await app.OpenAsync();

        // A second tab of the same session, already on the gallery.
        var galleryTab = await page.Context.NewPageAsync();
        var consoleLog = new List<string>(); // a circuit that dies says so here
        galleryTab.Console += (_, m) => consoleLog.Add(m.Text);
        await galleryTab.GotoAsync(app.Address + "/gallery");
        await galleryTab.Locator("[data-testid=gallery-empty]").WaitForAsync();
        await galleryTab.WaitForSelectorAsync("[data-testid=share-gallery]"); // circuit up (disabled while empty)

        await page.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea").FillAsync("red heart");
        await page.Locator("[data-testid=generate]").ClickAsync();
        await BrowserApp.WaitForDoneAsync(page);

        // It appears in the other tab without a reload.
        var card = galleryTab.Locator("[data-testid=gallery-card]");
        await card.WaitForAsync(new() { Timeout = 15_000 });
        Assert.DoesNotContain(consoleLog, line => line.Contains("unhandled exception"));
        Assert.Equal(1, await card.CountAsync());
        Assert.Equal("red heart", (await card.Locator("[data-testid=card-prompt]").InnerTextAsync()).Trim());
        int side = BrowserApp.ShippedResolutions()[^1];
        await galleryTab.WaitForFunctionAsync($"() => document.querySelector('img[data-testid=gallery-image]')?.naturalWidth === {side}");
        Directory.CreateDirectory(Path.GetDirectoryName(BrowserApp.ScreenshotPath("gallery.png"))!);
        await galleryTab.ScreenshotAsync(new() { Path = BrowserApp.ScreenshotPath("gallery.png"), FullPage = true });

        await card.Locator("[data-testid=share]").ClickAsync();
        var url = await galleryTab.Locator("input[data-testid=share-url], [data-testid=share-url] input").InputValueAsync();
        Assert.Matches("/s/[A-Za-z0-9_-]{22}$", url);
        await galleryTab.Locator("[data-testid=share-done]").ClickAsync();

        // Someone else: a fresh browser context, no cookie.
        var stranger = await (await app.Browser.NewContextAsync()).NewPageAsync();
        var opened = await stranger.GotoAsync(url);
        Assert.Equal(200, opened!.Status);
        await stranger.WaitForFunctionAsync($"() => document.querySelector('img[data-testid=shared-image]')?.naturalWidth === {side}");
        // Shown at a whole multiple of its own size, never an arbitrary blow-up.
        double shown = await stranger.Locator("img[data-testid=shared-image]").EvaluateAsync<double>("i => i.getBoundingClientRect().width");
        Assert.True(shown >= side && Math.Abs(shown / side - Math.Round(shown / side)) < 0.01, $"a {side} px picture shown {shown} px wide");
        Assert.Contains("red heart", await stranger.InnerTextAsync("[data-testid=shared-images]"));
        Assert.Equal(0, await stranger.Locator("[data-testid=delete], [data-testid=share], [data-testid=refine]").CountAsync()); // read-only
        Assert.DoesNotContain(await stranger.Context.CookiesAsync(), c => c.Name == "refineweb.session");

        // The owner revokes it, after a second thought: "Keep it" changes nothing, "Revoke" ends it.
        var dialog = galleryTab.Locator(".mud-dialog");
        await galleryTab.Locator("[data-testid=share-links] [data-testid=revoke]").ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Keep it" }).ClickAsync();
        await dialog.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        Assert.Equal(200, (await stranger.GotoAsync(url))!.Status);
        await galleryTab.Locator("[data-testid=share-links] [data-testid=revoke]").ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await galleryTab.Locator("[data-testid=share-links]").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        var again = await stranger.GotoAsync(url);
        Assert.Equal(404, again!.Status);
        Assert.Contains("revoked", await stranger.InnerTextAsync("[data-testid=not-found]"));
        Assert.Equal(0, await stranger.Locator("img[data-testid=shared-image]").CountAsync());
    }

    [Fact]
    public async Task The_gallery_searches_and_filters_and_writes_dates_in_the_browser_s_language_and_time_zone()
    {
        await using var app = await BrowserApp.StartAsync();
        var page = await app.OpenAsync("/", new() { ViewportSize = new() { Width = 1280, Height = 800 }, Locale = "de-DE", TimezoneId = "Europe/Berlin" });
        // One generated image and one uploaded one that carries its prompt, both in this browser's session.
        var generated = await page.Context.APIRequest.PostAsync(app.Address + "/api/v1/generations",
            new() { DataObject = new { prompt = "red heart", seed = 1, stages = 3 } });
        Assert.Equal(202, generated.Status);
        var png = new ImageParameters { Prompt = "cat face", Width = 64, Height = 64 }.AddTo(
            RefineWeb.Engine.Imaging.ImageTensor.ToPng(TorchSharp.torch.zeros(3, 64, 64)));
        var uploaded = await page.Context.APIRequest.PostAsync(app.Address + "/api/v1/uploads",
            new() { Multipart = page.Context.APIRequest.CreateFormData().Set("file", new FilePayload { Name = "cat.png", MimeType = "image/png", Buffer = png }) });
        Assert.Equal(201, uploaded.Status);

        await page.GotoAsync(app.Address + "/gallery");
        var cards = page.Locator("[data-testid=gallery-card]");
        await Assertions.Expect(cards).ToHaveCountAsync(2, new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("[data-testid=gallery-count]")).ToHaveTextAsync("2 images");
        // Dates as a German browser in Berlin writes them, not the server's UTC fallback.
        var date = await cards.First.Locator("time.local-time").InnerTextAsync();
        Assert.Matches(@"^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}$", date);

        await page.Locator("input[data-testid=gallery-search], [data-testid=gallery-search] input").FillAsync("HEART");
        await Assertions.Expect(cards).ToHaveCountAsync(1);
        await Assertions.Expect(cards.Locator("[data-testid=card-prompt]")).ToHaveTextAsync("red heart");
        await Assertions.Expect(page.Locator("[data-testid=gallery-count]")).ToHaveTextAsync("1 of 2 images");

        await page.Locator("[data-testid=origin-uploaded]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=gallery-no-match]")).ToContainTextAsync("No image matches \"HEART\" among the uploaded ones");
        await page.Locator("input[data-testid=gallery-search], [data-testid=gallery-search] input").FillAsync("");
        await Assertions.Expect(cards).ToHaveCountAsync(1);
        await Assertions.Expect(cards.Locator("[data-testid=card-prompt]")).ToHaveTextAsync("cat face");

        // On a phone the header wraps between whole groups: the title stays on one line.
        await page.SetViewportSizeAsync(390, 844);
        var titleHeight = await page.Locator(".gallery-title h5, .gallery-title .mud-typography-h5").EvaluateAsync<double>("e => e.getBoundingClientRect().height");
        var lineHeight = await page.Locator(".gallery-title h5, .gallery-title .mud-typography-h5").EvaluateAsync<double>("e => parseFloat(getComputedStyle(e).lineHeight)");
        Assert.True(titleHeight < 1.5 * lineHeight, $"the title wraps: {titleHeight} px high at {lineHeight} px a line");
    }

    [Fact]
    public async Task Sharing_the_whole_gallery_says_first_that_it_includes_the_uploads()
    {
        await using var app = await BrowserApp.StartAsync();
        var page = await app.OpenAsync();
        foreach (var name in new[] { "one.png", "two.png" })
        {
            var png = RefineWeb.Engine.Imaging.ImageTensor.ToPng(TorchSharp.torch.zeros(3, 64, 64));
            var uploaded = await page.Context.APIRequest.PostAsync(app.Address + "/api/v1/uploads",
                new() { Multipart = page.Context.APIRequest.CreateFormData().Set("file", new FilePayload { Name = name, MimeType = "image/png", Buffer = png }) });
            Assert.Equal(201, uploaded.Status);
        }
        await page.GotoAsync(app.Address + "/gallery");
        await page.Locator("[data-testid=share-gallery]:not([disabled])").ClickAsync();
        var dialog = page.Locator(".mud-dialog");
        await Assertions.Expect(dialog).ToContainTextAsync("That includes the 2 pictures you uploaded.");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await dialog.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        var links = await (await page.Context.APIRequest.GetAsync(app.Address + "/api/v1/shares")).JsonAsync();
        Assert.Equal(0, links!.Value.GetArrayLength()); // cancelled: no link was made

        await page.Locator("[data-testid=share-gallery]").ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create the link" }).ClickAsync();
        await Assertions.Expect(page.Locator("input[data-testid=share-url], [data-testid=share-url] input")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("/s/"));
        await Assertions.Expect(dialog).ToContainTextAsync("That includes the 2 pictures you uploaded.");
        links = await (await page.Context.APIRequest.GetAsync(app.Address + "/api/v1/shares")).JsonAsync();
        Assert.Equal(1, links!.Value.GetArrayLength());
    }
}
