using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using RefineWeb.Engine.Imaging;
using RefineWeb.Generation;
using SkiaSharp;

namespace RefineWeb.Tests.Browser;

/// <summary>Brush and re-refine in real Chromium against the shipped model.</summary>
public sealed class BrushPageBrowserTests
{
    static RgbImage Rgb(byte[] png)
    {
        using var bitmap = SKBitmap.Decode(png);
        using var tensor = ImageTensor.FromBitmap(bitmap);
        return ImageTensor.ToRgb(tensor);
    }

    [Fact]
    public async Task A_brushed_stroke_is_refined_live_and_only_its_area_changes()
    {
        await using var app = await BrowserApp.StartAsync();
        var page = await app.OpenAsync();

        await page.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea").FillAsync("red heart");
        await page.Locator("[data-testid=generate]").ClickAsync();
        await BrowserApp.WaitForDoneAsync(page);
        var parentUrl = await page.Locator("img[data-testid=preview]").GetAttributeAsync("src");
        var parent = Rgb(await app.FetchAsync(page, parentUrl));

        await page.Locator("[data-testid=brush]").First.ClickAsync();
        // Once the brush is attached: before that a stroke would be lost (the canvas renders before its script runs).
        var canvas = page.Locator("canvas[data-testid=mask-canvas][data-ready=true]");
        await canvas.WaitForAsync();
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=refine]')?.hasAttribute('disabled')");
        // A horizontal stroke across the upper-middle of the image, in the coordinates of a 64 px picture scaled by k
        // (the brush's default size scales the same way: 6 px at 64, 24 px at 256).
        int side = parent.Width, k = side / 64;
        var box = (await canvas.BoundingBoxAsync())!;
        float scale = box.Width / side;
        await page.Mouse.MoveAsync(box.X + 20 * k * scale, box.Y + 24 * k * scale);
        await page.Mouse.DownAsync();
        for (int x = 20; x <= 44; x += 2) await page.Mouse.MoveAsync(box.X + x * k * scale, box.Y + 24 * k * scale);
        await page.Mouse.UpAsync();

        var promptBox = page.Locator("input[data-testid=refine-prompt], [data-testid=refine-prompt] input");
        await promptBox.FillAsync("blue heart");
        await page.EvaluateAsync("""
            () => {
              window.previewLog = [];
              new MutationObserver(() => {
                const img = document.querySelector('img[data-testid=preview]');
                if (img && img.src.startsWith('data:') && window.previewLog[window.previewLog.length - 1] !== img.src) window.previewLog.push(img.src);
              }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['src'] });
            }
            """);
        await page.Locator("[data-testid=refine]").ClickAsync();
        // The last generation's "Done" is on screen until the refinement's first event replaces it.
        await page.WaitForFunctionAsync("() => window.previewLog.length > 0", null, new() { Timeout = 60_000 });
        await BrowserApp.WaitForDoneAsync(page);
        int livePreviews = await page.EvaluateAsync<int>("() => window.previewLog.length");
        Assert.True(livePreviews >= 3, $"{livePreviews} live previews during the refinement");

        var resultUrl = await page.Locator("img[data-testid=preview]").GetAttributeAsync("src");
        // Before and after, in place.
        await page.Locator("[data-testid=before-after]").ClickAsync();
        await Assertions.Expect(page.Locator("img[data-testid=preview]")).ToHaveAttributeAsync("src", parentUrl!);
        await page.Locator("[data-testid=before-after]").ClickAsync();
        await Assertions.Expect(page.Locator("img[data-testid=preview]")).ToHaveAttributeAsync("src", resultUrl!);
        var result = Rgb(await app.FetchAsync(page, resultUrl));
        var info = JsonSerializer.Deserialize<JsonElement>(await app.FetchAsync(page, resultUrl!.Replace(".png", "")));
        var mask = MaskImage.Decode(await app.FetchAsync(page, info.GetProperty("maskUrl").GetString()!), side, side).Mask!;

        // The page's default feather (in proportion to the picture): beyond the stroke plus that band, the parent's bytes.
        var editable = MaskCompositor.Editable(mask, side, side, GenerationLimits.DefaultFeather(side));
        int changed = 0;
        for (int p = 0; p < mask.Length; p++)
        {
            int x = p % side, y = p / side;
            bool same = parent.Pixels.AsSpan(3 * p, 3).SequenceEqual(result.Pixels.AsSpan(3 * p, 3));
            if (!editable[p]) Assert.True(same, $"pixel {x},{y} outside the painted area and its feather changed");
            else if (!mask[p]) continue;
            else
            {
                // The painted area is the stroke: a band around y = 24 from x = 20 to 44, as wide as the brush.
                Assert.InRange(y, (24 - 6) * k, (24 + 6) * k);
                Assert.InRange(x, (20 - 6) * k, (44 + 6) * k);
                if (!same) changed++;
            }
        }
        Assert.True(mask.Count(m => m) > 50 * k * k, "the stroke reached the mask");
        Assert.True(changed > 0, "the painted area was refined");
        await page.ScreenshotAsync(new() { Path = BrowserApp.ScreenshotPath("refine.png"), FullPage = true });
    }
}
