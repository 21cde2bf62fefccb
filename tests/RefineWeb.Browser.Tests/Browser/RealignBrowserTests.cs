using Microsoft.Playwright;

namespace RefineWeb.Tests.Browser;

/// <summary>Re-align on the page, in real Chromium against the shipped model: from a finished picture's editor to the phrase account and the lineage.</summary>
public sealed class RealignBrowserTests
{
    [Fact]
    public async Task Re_align_from_the_editor_shows_each_phrase_before_and_after_and_the_result_names_its_parent()
    {
        await using var app = await BrowserApp.StartAsync();
        var page = await app.OpenAsync();
        await page.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea").FillAsync("cat face and pizza");
        await page.Locator("[data-testid=generate]").ClickAsync();
        await BrowserApp.WaitForDoneAsync(page);
        var parentHref = await page.Locator("a[download]").GetAttributeAsync("href");

        await page.Locator("[data-testid=brush]").First.ClickAsync();
        await page.Locator("[data-testid=realign]").ClickAsync();
        var account = page.Locator("[data-testid=realignment]");
        await account.WaitForAsync(new() { Timeout = 120_000 });

        // One line per thing the prompt names (the locator may find one of them only), each with its score.
        var phrases = account.Locator("[data-testid=realigned-phrase]");
        int count = await phrases.CountAsync();
        Assert.InRange(count, 1, 2);
        for (int i = 0; i < count; i++)
            Assert.Matches(@"^(cat face|pizza): -?\d\.\d\d", (await phrases.Nth(i).InnerTextAsync()).Trim());
        await Assertions.Expect(account).ToContainTextAsync(new System.Text.RegularExpressions.Regex("Re-aligned|already matches well|No candidate scored higher"));

        // The result is a child of the picture it re-aligned, and says so.
        await Assertions.Expect(page.Locator("[data-testid=lineage]")).ToContainTextAsync("Re-aligned from");
        var lineageParent = await page.Locator("[data-testid=lineage] img.lineage-thumb").First.GetAttributeAsync("src");
        Assert.Equal(parentHref, lineageParent);
        await page.ScreenshotAsync(new() { Path = BrowserApp.ScreenshotPath("realign.png"), FullPage = true });
    }
}
