using System.Text.Json;
using Microsoft.Playwright;

namespace RefineWeb.Tests.Browser;

/// <summary>
/// axe-core (npm, tests/clients) on every page as people meet it: generating, while generating, the brush editor,
/// the gallery, a share page, a missing page. No serious or critical violation may remain.
/// </summary>
public sealed class AccessibilityBrowserTests
{
    static readonly string AxeScript = Path.Combine(RefineWebFactory.RepositoryRoot, "tests", "clients", "node_modules", "axe-core", "axe.min.js");

    /// <summary>Serious and critical violations on the page now, one line each (rule, what it asks, where).</summary>
    static async Task<List<string>> ViolationsAsync(IPage page)
    {
        Assert.True(File.Exists(AxeScript), "tests/clients/node_modules/axe-core is missing: run `npm ci` in tests/clients (scripts/test.sh does)");
        // Evaluated over the DevTools protocol, so the page's Content-Security-Policy does not stop it.
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe === 'object'")) await page.EvaluateAsync(await File.ReadAllTextAsync(AxeScript));
        // Colours mid-transition (a button fading from disabled to enabled) are no colour anyone reads: let them settle.
        await page.WaitForFunctionAsync("() => document.getAnimations().every(a => !(a instanceof CSSTransition) || a.playState !== 'running')",
            null, new() { Timeout = 10_000 });
        var found = await page.EvaluateAsync<JsonElement>("""
            async () => (await axe.run(document, { resultTypes: ['violations'] })).violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.slice(0, 3).map(n => `${n.target.join(' ')} (${n.any.concat(n.all, n.none).map(c => c.message).join('; ')})`).join(' | ')}`)
            """);
        return [.. found.EnumerateArray().Select(v => v.GetString()!)];
    }

    static async Task AssertAccessibleAsync(IPage page, string where)
    {
        var violations = await ViolationsAsync(page);
        Assert.True(violations.Count == 0, $"{where}:\n{string.Join('\n', violations)}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_page_has_no_serious_or_critical_axe_violation_in_light_and_dark(bool dark)
    {
        await using var app = await BrowserApp.StartAsync();
        var page = await app.OpenAsync("/", new() { ViewportSize = new() { Width = 1280, Height = 800 }, ColorScheme = dark ? ColorScheme.Dark : ColorScheme.Light });
        await page.WaitForTimeoutAsync(300); // the theme is applied after the first render
        await AssertAccessibleAsync(page, "generate page");

        var prompt = page.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea");
        await prompt.FillAsync("(red:1.5) hearts on a hill");
        await page.Locator("[data-testid=unknown-words]").WaitForAsync();
        await page.Locator("[data-testid=generate]").ClickAsync();
        await page.Locator("[data-testid=progress-text]").WaitForAsync();
        await AssertAccessibleAsync(page, "while generating");
        await BrowserApp.WaitForDoneAsync(page);
        await AssertAccessibleAsync(page, "a finished generation");

        await page.Locator("[data-testid=brush]").First.ClickAsync();
        await page.Locator("[data-testid=edit-panel]").WaitForAsync();
        await AssertAccessibleAsync(page, "brush editor");

        await page.GotoAsync(app.Address + "/gallery");
        await page.Locator("[data-testid=gallery-card]").First.WaitForAsync();
        await page.WaitForSelectorAsync("[data-testid=share-gallery]:not([disabled])");
        await AssertAccessibleAsync(page, "gallery");
        await page.Locator("[data-testid=share]").First.ClickAsync();
        var url = await page.Locator("input[data-testid=share-url], [data-testid=share-url] input").InputValueAsync();
        await AssertAccessibleAsync(page, "share dialog");

        var stranger = await (await app.Browser.NewContextAsync(new() { ColorScheme = dark ? ColorScheme.Dark : ColorScheme.Light })).NewPageAsync();
        await stranger.GotoAsync(url);
        await stranger.Locator("[data-testid=shared-image]").First.WaitForAsync();
        await AssertAccessibleAsync(stranger, "share page");
        var missing = await stranger.GotoAsync(app.Address + "/no-such-page");
        Assert.Equal(404, missing!.Status);
        Assert.StartsWith("text/html", missing.Headers["content-type"]);
        await stranger.Locator("[data-testid=not-found]").WaitForAsync();
        await stranger.WaitForTimeoutAsync(300); // as on the first page: the theme is applied after the first render (dark once failed mid-switch)
        await AssertAccessibleAsync(stranger, "not-found page");

        await stranger.GotoAsync(app.Address + "/status");
        await stranger.Locator("[data-testid=worker-row]").WaitForAsync();
        await stranger.Locator("[data-testid=chart-steps] svg").WaitForAsync(new() { Timeout = 30_000 });
        await stranger.WaitForTimeoutAsync(300);
        await AssertAccessibleAsync(stranger, "status page");
    }
}
