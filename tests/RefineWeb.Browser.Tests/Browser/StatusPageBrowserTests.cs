using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace RefineWeb.Tests.Browser;

/// <summary>The operator's status page in real Chromium: it redraws by itself as the engine works.</summary>
public sealed class StatusPageBrowserTests
{
    [Fact]
    public async Task The_page_follows_a_generation_without_a_reload()
    {
        await using var app = await BrowserApp.StartAsync(settings: new Dictionary<string, string> { ["Telemetry:StatusIntervalSeconds"] = "0.5" });
        var context = await app.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var status = await context.NewPageAsync();
        await status.GotoAsync(app.Address + "/status");
        var images = status.Locator("[data-testid=worker-images]");
        await Assertions.Expect(images).ToHaveTextAsync("0");
        await Assertions.Expect(status.Locator("[data-testid=worker-state]")).ToContainTextAsync("idle");
        await Assertions.Expect(status.Locator("[data-testid=chart-steps-empty]")).ToBeVisibleAsync();

        var maker = await app.OpenAsync();
        await maker.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea").FillAsync("red heart");
        await maker.Locator("[data-testid=generate]").ClickAsync();
        // The engine shows as running while the job is under way, then idle with its images counted.
        await Assertions.Expect(status.Locator("[data-testid=worker-state]")).ToContainTextAsync("running", new() { Timeout = 30_000 });
        await BrowserApp.WaitForDoneAsync(maker);
        int made = await maker.Locator("[data-testid=preview]").CountAsync(); // one picture per image made

        await Assertions.Expect(images).ToHaveTextAsync(made.ToString(), new() { Timeout = 15_000 });
        await Assertions.Expect(status.Locator("[data-testid=worker-jobs]")).ToHaveTextAsync("1 succeeded · 0 failed · 0 cancelled");
        await Assertions.Expect(status.Locator("[data-testid=status-jobs-value]")).ToHaveTextAsync("1");
        // Each stage's line is drawn, and its latest step time is written out.
        await Assertions.Expect(status.Locator("[data-testid=chart-steps] svg path.mud-chart-line")).Not.ToHaveCountAsync(0);
        var latest = await status.Locator("[data-testid=chart-steps-latest]").InnerTextAsync();
        Assert.Equal(BrowserApp.ShippedResolutions().Count, Regex.Matches(latest, @"\d+ ms").Count);

        // A burst from the API (the page's own session): the queue fills and drains, and every image is counted.
        for (int i = 0; i < 4; i++)
        {
            var response = await maker.Context.APIRequest.PostAsync(app.Address + "/api/v1/generations",
                new() { DataObject = new { prompt = "blue heart", seed = i, count = 2 }, Headers = new Dictionary<string, string> { ["Origin"] = app.Address } });
            Assert.Equal(202, response.Status);
        }
        await Assertions.Expect(images).ToHaveTextAsync((made + 8).ToString(), new() { Timeout = 120_000 });
        await Assertions.Expect(status.Locator("[data-testid=status-jobs-value]")).ToHaveTextAsync("5");
        await status.WaitForTimeoutAsync(1500); // one more sample: the throughput line has its last point
        await status.ScreenshotAsync(new() { Path = BrowserApp.ScreenshotPath("status.png"), FullPage = true });
    }
}
