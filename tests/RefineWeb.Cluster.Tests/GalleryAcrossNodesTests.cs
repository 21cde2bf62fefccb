using Microsoft.Playwright;

namespace RefineWeb.Cluster.Tests;

/// <summary>The pages on a cluster: the home page streams a worker's previews; a gallery page hears of images made for jobs posted on another node.</summary>
[Collection(ClusterCollection.Name)]
public sealed class GalleryAcrossNodesTests(TestCluster cluster)
{
    const string ChromiumPath = "/usr/bin/chromium";

    [Fact]
    public async Task The_home_page_on_a_web_node_shows_a_workers_previews_then_its_image()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(cluster.WebUrls[0] + "/");
        await page.EvaluateAsync("""
            () => {
              window.previews = new Set();
              new MutationObserver(() => {
                const img = document.querySelector('img[data-testid=preview]');
                if (img) window.previews.add(img.src);
              }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['src'] });
            }
            """);
        // Generate turns on once Blazor's circuit is up: text typed before that is lost when the page goes live.
        await page.WaitForSelectorAsync("[data-testid=generate]:not([disabled])", new() { Timeout = 60_000 });
        await page.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea").FillAsync("red heart");
        await page.Locator("[data-testid=generate]").ClickAsync();
        try
        {
            await page.Locator("[data-testid=progress-text]", new() { HasText = "Done" }).WaitForAsync(new() { Timeout = 120_000 });
        }
        catch (TimeoutException)
        {
            var shown = await page.Locator("[data-testid=progress-text]").AllInnerTextsAsync();
            Assert.Fail($"the page never said Done; it shows: {string.Join(" | ", shown)}\n{cluster.Logs()}");
        }
        Assert.True(await page.EvaluateAsync<int>("() => window.previews.size") >= 3, "the worker's step previews did not reach the page");
    }

    [Fact]
    public async Task An_image_made_for_a_job_posted_on_node_1_appears_on_node_2s_open_gallery_without_a_reload()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true });
        var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(cluster.WebUrls[1] + "/gallery");
        await page.Locator("[data-testid=gallery-empty]").WaitForAsync(new() { Timeout = 60_000 });
        await page.WaitForSelectorAsync("[data-testid=share-gallery]", new() { Timeout = 60_000 }); // the circuit is up
        var session = (await context.CookiesAsync()).Single(c => c.Name == "refineweb.session");
        int navigations = 0;
        page.FrameNavigated += (_, frame) => { if (frame == page.MainFrame) navigations++; };

        using var client = new SessionClient { Cookie = $"{session.Name}={session.Value}" }; // the browser's session, over REST on the other node
        var id = await client.PostAsync(cluster.WebUrls[0], new { prompt = "rainbow", seed = 81, stages = 2 });
        var final = (await client.FollowAsync(cluster.WebUrls[0], id, TimeSpan.FromSeconds(120), cluster.Logs))[^1];
        Assert.Equal("succeeded", final.GetProperty("status").GetString());

        var card = page.Locator("[data-testid=gallery-card]");
        await card.First.WaitForAsync(new() { Timeout = 30_000 }); // pushed over Redis to node 2's circuit, no reload
        Assert.Equal(1, await card.CountAsync());
        Assert.Equal("rainbow", (await card.Locator("[data-testid=card-prompt]").InnerTextAsync()).Trim());
        Assert.Equal(0, navigations); // the same page, updated in place
    }
}
