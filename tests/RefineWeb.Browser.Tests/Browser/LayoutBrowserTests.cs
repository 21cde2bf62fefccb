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
        await BrowserApp.WaitForDoneAsync(page);

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

    [Fact]
    public async Task A_region_painted_with_the_brush_becomes_a_mask_region_that_runs_is_scored_and_is_kept()
    {
        await using var app = await BrowserApp.StartAsync();
        var page = await app.OpenAsync();
        await page.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea").FillAsync("blue heart");
        await page.Locator("[data-testid=add-painted-region]").ClickAsync();
        var canvas = page.Locator("[data-testid=layout-painting] canvas[data-testid=mask-canvas][data-ready=true]");
        await canvas.WaitForAsync();
        await Assertions.Expect(page.Locator("[data-testid=use-painted]")).ToBeDisabledAsync(); // nothing painted yet

        // Vertical strokes over the left third of the canvas.
        var box = (await canvas.BoundingBoxAsync())!;
        foreach (var x in new[] { 0.05f, 0.12f, 0.19f, 0.26f })
        {
            await page.Mouse.MoveAsync(box.X + x * box.Width, box.Y + 0.05f * box.Height);
            await page.Mouse.DownAsync();
            for (float y = 0.05f; y <= 0.95f; y += 0.05f) await page.Mouse.MoveAsync(box.X + x * box.Width, box.Y + y * box.Height);
            await page.Mouse.UpAsync();
        }
        await page.Locator("[data-testid=layout-painting]").ScreenshotAsync(new() { Path = BrowserApp.ScreenshotPath("layout-paint.png") });
        await page.Locator("[data-testid=use-painted]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=layout-painting]")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("[data-testid=layout-preview] image")).ToHaveCountAsync(1);
        await page.Locator("input[data-testid=layout-region], [data-testid=layout-region] input").First.FillAsync("red heart");

        await page.Locator("[data-testid=generate]").ClickAsync();
        await BrowserApp.WaitForDoneAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=region-score]")).ToHaveCountAsync(1);

        // The image keeps the painted mask: white on the left third, nothing on the right half.
        var href = await page.Locator("a[download]").GetAttributeAsync("href");
        var id = href!.Split('/')[^1].Replace(".png", "");
        var region = JsonDocument.Parse(await app.FetchAsync(page, $"/api/v1/images/{id}")).RootElement.GetProperty("parameters").GetProperty("regions")[0];
        Assert.Equal("red heart", region.GetProperty("prompt").GetString());
        Assert.Equal(JsonValueKind.Null, region.TryGetProperty("rect", out var rect) ? rect.ValueKind : JsonValueKind.Null);
        using var mask = SKBitmap.Decode(Convert.FromBase64String(region.GetProperty("mask").GetString()!));
        double White(int fromX, int toX)
        {
            int white = 0;
            for (int y = 0; y < mask.Height; y++)
                for (int x = fromX; x < toX; x++) white += mask.GetPixel(x, y).Red > 128 ? 1 : 0;
            return (double)white / (mask.Height * (toX - fromX));
        }
        Assert.True(White(0, mask.Width / 4) > 0.8, $"the painted left quarter is {White(0, mask.Width / 4):P0} white");
        Assert.Equal(0, White(mask.Width / 2, mask.Width));
    }
    [Fact]
    public async Task The_forms_layout_drawn_on_a_finished_picture_changes_only_its_region()
    {
        await using var app = await BrowserApp.StartAsync();
        var page = await app.OpenAsync();
        await page.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea").FillAsync("green apple");
        await page.Locator("[data-testid=generate]").ClickAsync();
        await BrowserApp.WaitForDoneAsync(page);
        var parentHref = await page.Locator("a[download]").GetAttributeAsync("href");

        // A centre region in the form, then the finished picture's editor draws it there.
        await page.Locator("[data-testid=layout-preset]", new() { HasText = "Centre" }).ClickAsync();
        await page.Locator("input[data-testid=layout-region], [data-testid=layout-region] input").First.FillAsync("red heart");
        await page.Locator("[data-testid=brush]").First.ClickAsync();
        await page.Locator("[data-testid=refine-with-layout]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=refine]")).ToContainTextAsync("Refine the layout's regions");
        await page.Locator("[data-testid=refine]").ClickAsync();
        await page.Locator("[data-testid=lineage]").WaitForAsync(new() { Timeout = 90_000 });
        await BrowserApp.WaitForDoneAsync(page);

        using var parent = SKBitmap.Decode(await app.FetchAsync(page, parentHref));
        using var refined = SKBitmap.Decode(await app.FetchAsync(page, await page.Locator("a[download]").First.GetAttributeAsync("href")));
        int side = parent.Width, margin = side / 4 - side / 32 - 2; // outside the centre and its soft edge
        int changedOutside = 0, changedInside = 0;
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
            {
                bool differs = parent.GetPixel(x, y) != refined.GetPixel(x, y);
                bool outside = x < margin || y < margin || x >= side - margin || y >= side - margin;
                if (differs) _ = outside ? changedOutside++ : changedInside++;
            }
        Assert.Equal(0, changedOutside);
        Assert.True(changedInside > side * side / 16, $"only {changedInside} pixels of the centre changed");
    }
}
