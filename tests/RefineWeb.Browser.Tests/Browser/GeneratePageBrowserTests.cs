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
        // The base at its most steps (100: about 2 s here), so its forming is on screen long enough to be seen even when
        // a busy machine folds renders together (the default 20 steps can be over before the first render reaches the browser).
        await page.Locator("[data-testid=settings]").ClickAsync();
        var baseSteps = page.Locator("input[type=range][data-testid=steps-slider], [data-testid=steps-slider] input[type=range]").First;
        await SetToMaximumAsync(page, baseSteps);
        await page.Locator("[data-testid=generate]").ClickAsync();
        await BrowserApp.WaitForDoneAsync(page);

        // Live: the picture changed while the progress line still named a stage, before the final image.
        var log = (await page.EvaluateAsync<JsonElement>("() => window.previewLog")).EnumerateArray()
            .Select(e => (Src: e.GetProperty("src").GetString()!, Text: e.GetProperty("text").GetString()!)).ToList();
        var live = log.Count(e => e.Src.StartsWith("data:image/png") && (e.Text.StartsWith("base ") || e.Text.StartsWith("refiner")));
        Assert.True(live >= 2, $"{live} live previews of {log.Count} changes");

        // Every stage reached the page, coarse to fine, whether or not its two refiner steps streamed by too fast
        // to be seen on their own (a busy 2-core machine folds several renders into one).
        var resolutions = BrowserApp.ShippedResolutions();
        var frames = page.Locator("[data-testid=stage-frame]");
        Assert.Equal(resolutions.Select(r => $"{r} px"), (await frames.Locator("figcaption").AllInnerTextsAsync()).Select(t => t.Trim()));
        var widths = new List<int>();
        foreach (var source in await frames.Locator("img").EvaluateAllAsync<string[]>("images => images.map(i => i.src)"))
        {
            using var frame = SKBitmap.Decode(Convert.FromBase64String(source[(source.IndexOf(',') + 1)..]));
            widths.Add(frame.Width);
        }
        Assert.Equal(resolutions, widths);

        // The final image: the stored PNG at the last stage's size, shown at a whole multiple of it (a clean 2x in the
        // desktop's 512 px box, pixels square) and downloadable.
        var src = await page.Locator("img[data-testid=preview]").GetAttributeAsync("src");
        var href = await page.Locator("a[download]").GetAttributeAsync("href");
        Assert.Equal(href, src);
        using (var bitmap = SKBitmap.Decode(await app.FetchAsync(page, href)))
            Assert.Equal((resolutions[^1], resolutions[^1]), (bitmap.Width, bitmap.Height));
        var rendering = await page.Locator("img[data-testid=preview]").EvaluateAsync<string>("i => getComputedStyle(i).imageRendering");
        Assert.Equal("pixelated", rendering);
        var shown = await page.Locator("img[data-testid=preview]").EvaluateAsync<double>("i => i.getBoundingClientRect().width");
        Assert.Equal(resolutions[^1] * Math.Max(1, 512 / resolutions[^1]), shown, 1); // the box is 512 px wide at this window size

        Directory.CreateDirectory(Path.GetDirectoryName(BrowserApp.ScreenshotPath("generate.png"))!);
        await page.ScreenshotAsync(new() { Path = BrowserApp.ScreenshotPath("generate.png"), FullPage = true });
    }

    /// <summary>
    /// Presses End on a steps slider until the circuit has taken it, as its server-rendered label shows: a key press
    /// that lands while the opening panel is still rendering can be lost on a busy machine, so it is pressed again
    /// (at most five times).
    /// </summary>
    static async Task SetToMaximumAsync(IPage page, ILocator slider)
    {
        var maximum = await slider.GetAttributeAsync("max");
        var label = page.GetByText(new System.Text.RegularExpressions.Regex($"^Steps, .*: {maximum}$")).First;
        for (int attempt = 1; ; attempt++)
        {
            await slider.FocusAsync();
            await slider.PressAsync("End");
            try
            {
                await Assertions.Expect(label).ToBeVisibleAsync(new() { Timeout = 2_000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 5) { }
        }
    }

    [Fact]
    public async Task A_reload_finds_the_sessions_waiting_and_running_jobs_again_and_only_cancel_cancels()
    {
        await using var app = await BrowserApp.StartAsync();
        var page = await app.OpenAsync();
        var timeout = new LocatorWaitForOptions { Timeout = 90_000 };
        // A long job of this session (another tab's, or a script's) holds the engine, so the page's own job waits.
        var blocker = await page.Context.APIRequest.PostAsync(app.Address + "/api/v1/generations",
            new() { DataObject = new { prompt = "sun face", count = 4, steps = new[] { 100, 100, 100, 100, 100 } } });
        Assert.Equal(202, blocker.Status);
        var blockerId = (await blocker.JsonAsync())!.Value.GetProperty("id").GetString();

        var prompt = page.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea");
        await prompt.FillAsync("red heart");
        await page.Locator("[data-testid=generate]").ClickAsync();
        await page.Locator("[data-testid=headline]", new() { HasTextRegex = new("Queued|Next in line") }).WaitForAsync(timeout);

        await page.ReloadAsync();
        await page.Locator("[data-testid=headline]", new() { HasTextRegex = new("Queued|Next in line") }).WaitForAsync(timeout); // followed again
        Assert.Equal("red heart", await prompt.InputValueAsync()); // its prompt back in the form
        var other = page.Locator("[data-testid=other-job]");
        await other.WaitForAsync(timeout);
        StringAssert(await other.InnerTextAsync(), "sun face");

        // The other job: its previews on this page too, then Cancel (the only way a job ends early).
        await other.ClickAsync();
        await page.Locator("[data-testid=headline]", new() { HasTextRegex = new(@"step \d+/100") }).WaitForAsync(timeout);
        await page.Locator("[data-testid=cancel]").ClickAsync();
        await page.Locator("[data-testid=headline]", new() { HasText = "Cancelled" }).WaitForAsync(timeout);

        // The page's own job, never cancelled by the reload, runs now and lands in the gallery.
        await page.Locator("[data-testid=other-job]", new() { HasText = "red heart" }).ClickAsync();
        await page.Locator("[data-testid=headline]", new() { HasText = "Done" }).WaitForAsync(timeout);
        var gallery = await (await page.Context.APIRequest.GetAsync(app.Address + "/api/v1/gallery")).JsonAsync();
        Assert.Contains(gallery!.Value.EnumerateArray(), image => image.GetProperty("prompt").GetString() == "red heart");
        var cancelled = await (await page.Context.APIRequest.GetAsync($"{app.Address}/api/v1/generations/{blockerId}")).JsonAsync();
        Assert.Equal("cancelled", cancelled!.Value.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_long_paste_is_kept_and_flagged_four_results_keep_their_buttons_whole_and_the_editor_takes_focus_and_closes_on_escape()
    {
        await using var app = await BrowserApp.StartAsync();
        var page = await app.OpenAsync();
        var prompt = page.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea");

        // 5000 characters pasted: all kept (no silent cut to 200), the reason shown at once, nothing queued.
        await prompt.FillAsync(string.Concat(Enumerable.Repeat("red heart ", 500)));
        Assert.Equal(5000, (await prompt.InputValueAsync()).Length);
        await Assertions.Expect(page.Locator(".mud-input-helper-text.mud-input-error")).ToContainTextAsync("The prompt is 5000 characters; at most 200.");
        await page.Locator("[data-testid=generate]").ClickAsync();
        await page.WaitForTimeoutAsync(500); // a job would show its headline by now
        Assert.Equal(0, await page.Locator("[data-testid=headline]").CountAsync());

        // Four results (a script's job, followed by the page once it is opened again).
        var posted = await page.Context.APIRequest.PostAsync(app.Address + "/api/v1/generations", new() { DataObject = new { prompt = "red heart", count = 4, seed = 5 } });
        Assert.Equal(202, posted.Status);
        await page.ReloadAsync();
        await BrowserApp.WaitForDoneAsync(page);
        Assert.Equal(4, await page.Locator("[data-testid=result-actions]").CountAsync());
        foreach (var (width, height) in new[] { (1280, 800), (390, 844) })
        {
            await page.SetViewportSizeAsync(width, height);
            var clipped = await page.EvaluateAsync<string[]>("""
                () => [...document.querySelectorAll('[data-testid=result-actions]')].flatMap(row => {
                  const cell = row.closest('.preview-cell').getBoundingClientRect();
                  return [...row.querySelectorAll('a, button')].filter(b => {
                    const r = b.getBoundingClientRect();
                    return b.scrollWidth > b.clientWidth + 1 || r.left < cell.left - 1 || r.right > cell.right + 1 || r.height > 40;
                  }).map(b => b.innerText + ' ' + Math.round(b.getBoundingClientRect().width) + 'x' + Math.round(b.getBoundingClientRect().height));
                })
                """);
            Assert.True(clipped.Length == 0, $"at {width} px: clipped or wrapped buttons: {string.Join(", ", clipped)}");
        }

        // The brush editor takes the focus as it opens, and Escape closes it.
        await page.SetViewportSizeAsync(1280, 800);
        await page.Locator("[data-testid=brush]").First.ClickAsync();
        await page.Locator("[data-testid=edit-panel]").WaitForAsync();
        await page.WaitForFunctionAsync("() => document.activeElement?.closest('.edit-panel-focus') !== null");
        await page.Keyboard.PressAsync("Escape");
        await page.Locator("[data-testid=edit-panel]").WaitForAsync(new() { State = WaitForSelectorState.Detached });
    }

    static void StringAssert(string text, string expected) => Assert.Contains(expected, text);
}
