using Microsoft.Playwright;

namespace RefineWeb.Tests.Browser;

/// <summary>Finding 7 in a real browser: the page works under the app's Content-Security-Policy and violates none of it.</summary>
public sealed class ContentSecurityPolicyBrowserTests
{
    [Fact]
    public async Task Generating_opening_the_brush_editor_and_the_gallery_raise_no_csp_violation()
    {
        await using var app = await BrowserApp.StartAsync();
        var context = await app.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        // Recorded from the very first script of every document (the violation event and Chromium's console report).
        await context.AddInitScriptAsync("""
            window.cspViolations = [];
            document.addEventListener('securitypolicyviolation', e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
            """);
        var page = await context.NewPageAsync();
        var console = new List<string>();
        page.Console += (_, message) => { if (message.Text.Contains("Content Security Policy")) console.Add(message.Text); };
        var response = await page.GotoAsync(app.Address + "/");
        Assert.Contains("script-src 'self'", response!.Headers["content-security-policy"]);
        await page.WaitForSelectorAsync("[data-testid=generate]:not([disabled])");

        await page.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea").FillAsync("red heart");
        await page.Locator("[data-testid=generate]").ClickAsync();
        await BrowserApp.WaitForDoneAsync(page);
        await page.Locator("[data-testid=brush]").First.ClickAsync();
        await page.Locator("canvas").First.WaitForAsync(new() { Timeout = 15_000 });
        Assert.Empty(await page.EvaluateAsync<string[]>("() => window.cspViolations"));

        await page.GotoAsync(app.Address + "/gallery");
        await page.Locator("img").First.WaitForAsync(new() { Timeout = 15_000 });
        Assert.Empty(await page.EvaluateAsync<string[]>("() => window.cspViolations"));
        Assert.Empty(console);
    }
}
