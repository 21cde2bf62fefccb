using System.Text.Json;
using Microsoft.Playwright;
using SkiaSharp;

namespace RefineWeb.Tests.Browser;

/// <summary>A layout on the page, in real Chromium against the shipped model: a preset, a prompt per region, and the picture follows it.</summary>
public sealed class LayoutBrowserTests
{
    [Fact]
    public async Task Left_red_and_right_blue_regions_colour_the_picture_so_and_the_image_keeps_them()
    {
        await using var app = await BrowserApp.StartAsync();
        var page = await app.OpenAsync();
        await page.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea").FillAsync("heart");
        await page.Locator("[data-testid=layout-preset]", new() { HasText = "Left | right" }).ClickAsync();
        var regions = page.Locator("input[data-testid=layout-region], [data-testid=layout-region] input");
        await Assertions.Expect(regions).ToHaveCountAsync(2);
        await regions.Nth(0).FillAsync("red heart");
        await regions.Nth(1).FillAsync("blue heart");
        await Assertions.Expect(page.Locator("[data-testid=layout-preview] rect")).ToHaveCountAsync(3);

        await page.Locator("[data-testid=generate]").ClickAsync();
        await page.Locator("[data-testid=progress-text]", new() { HasText = "Done" }).WaitForAsync(new() { Timeout = 60_000 });

        var href = await page.Locator("a[download]").GetAttributeAsync("href");
        using (var bitmap = SKBitmap.Decode(await app.FetchAsync(page, href)))
        {
            // Redness (red less blue) of each half: the left one's well above the right one's.
            double Redness(int fromX, int toX)
            {
                double sum = 0;
                for (int y = 0; y < bitmap.Height; y++)
                    for (int x = fromX; x < toX; x++) sum += bitmap.GetPixel(x, y).Red - bitmap.GetPixel(x, y).Blue;
                return sum / (bitmap.Height * (toX - fromX));
            }
            double left = Redness(0, bitmap.Width / 2), right = Redness(bitmap.Width / 2, bitmap.Width);
            Assert.True(left > right + 60, $"left redness {left:F0}, right {right:F0}");
        }

        // The image keeps its layout: its parameters name both regions, so "reuse" brings them back.
        var id = href!.Split('/')[^1].Replace(".png", "");
        var info = JsonDocument.Parse(await app.FetchAsync(page, $"/api/v1/images/{id}")).RootElement;
        Assert.Equal(["red heart", "blue heart"], info.GetProperty("parameters").GetProperty("regions").EnumerateArray().Select(r => r.GetProperty("prompt").GetString()));
        // The regions drawn over the result, exactly over the picture.
        await page.Locator("[data-testid=show-regions]").ClickAsync();
        var outlines = page.Locator("[data-testid=region-outlines]");
        await Assertions.Expect(outlines.Locator("rect")).ToHaveCountAsync(2);
        var picture = await page.Locator("img[data-testid=preview]").BoundingBoxAsync();
        var drawn = await outlines.BoundingBoxAsync();
        Assert.Equal((picture!.X, picture.Y, picture.Width, picture.Height), (drawn!.X, drawn.Y, drawn.Width, drawn.Height));
        await page.ScreenshotAsync(new() { Path = BrowserApp.ScreenshotPath("layout.png"), FullPage = true });
    }
}
