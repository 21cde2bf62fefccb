using System.Text.Json;
using Microsoft.Playwright;
using SkiaSharp;

namespace RefineWeb.Tests.Browser;

/// <summary>The generate page in real Chromium against the shipped model.</summary>
public sealed class GeneratePageBrowserTests
{
    /// <summary>Records every preview the page shows, with the progress line at that moment.</summary>
    const string RecordPreviews = """
        () => {
          window.previewLog = [];
          const note = () => {
            const img = document.querySelector('img[data-testid=preview]');
            const text = document.querySelector('[data-testid=progress-text]')?.innerText ?? '';
            const last = window.previewLog[window.previewLog.length - 1];
            if (img && (!last || last.src !== img.src)) window.previewLog.push({ src: img.src, text, width: img.naturalWidth });
          };
          new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['src'] });
        }
        """;

    [Fact]
    public async Task Typing_a_prompt_and_pressing_generate_streams_previews_of_every_stage_then_the_final_image()
    {
        await using var app = await BrowserApp.StartAsync();
        var page = await app.OpenAsync();
        await page.EvaluateAsync(RecordPreviews);

        await page.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea").FillAsync("red heart");
        await page.Locator("[data-testid=generate]").ClickAsync();
        await page.Locator("[data-testid=progress-text]", new() { HasText = "Done" }).WaitForAsync(new() { Timeout = 60_000 });

        var log = (await page.EvaluateAsync<JsonElement>("() => window.previewLog")).EnumerateArray()
            .Select(e => (Src: e.GetProperty("src").GetString()!, Text: e.GetProperty("text").GetString()!)).ToList();
        var stages = log.Select(e => e.Text.Split(' ')[0]).Where(s => s is "base" or "refiner32" or "refiner64").Distinct().ToList();
        Assert.True(log.Count >= 5, $"the preview changed {log.Count} times");
        Assert.True(stages.Count >= 2, $"previews came from {string.Join(", ", stages)}");

        // The final image: the stored 64 px PNG, shown and downloadable.
        var src = await page.Locator("img[data-testid=preview]").GetAttributeAsync("src");
        var href = await page.Locator("a[download]").GetAttributeAsync("href");
        Assert.Equal(href, src);
        using (var bitmap = SKBitmap.Decode(await app.FetchAsync(page, href)))
            Assert.Equal((64, 64), (bitmap.Width, bitmap.Height));

        Directory.CreateDirectory(Path.GetDirectoryName(BrowserApp.ScreenshotPath("generate.png"))!);
        await page.ScreenshotAsync(new() { Path = BrowserApp.ScreenshotPath("generate.png"), FullPage = true });
    }
}
