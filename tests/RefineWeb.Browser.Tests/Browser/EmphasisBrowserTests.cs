using Microsoft.Playwright;

namespace RefineWeb.Tests.Browser;

/// <summary>Word emphasis in real Chromium against the shipped model: click a word, weigh it, generate, read the scores.</summary>
public sealed class EmphasisBrowserTests
{
    [Fact]
    public async Task Clicking_a_word_emphasizes_it_and_the_result_reports_its_score()
    {
        await using var app = await BrowserApp.StartAsync();
        var page = await app.OpenAsync();
        var prompt = page.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea");

        await prompt.FillAsync("blue heart");
        var blue = page.Locator("[data-testid=emphasis-word]", new() { HasText = "blue" });
        await blue.ClickAsync();
        await Assertions.Expect(prompt).ToHaveValueAsync("(blue:1.5) heart");
        await Assertions.Expect(page.Locator("[data-testid=emphasis-chip]")).ToContainTextAsync("blue ×1.5");
        await Assertions.Expect(blue).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("emphasized"));

        // Typed syntax shows the same way; a click on an emphasized word takes the emphasis off.
        await prompt.FillAsync("(blue:2) heart");
        await Assertions.Expect(page.Locator("[data-testid=emphasis-chip]")).ToContainTextAsync("blue ×2.0");
        await page.Locator("[data-testid=emphasis-word]", new() { HasText = "blue" }).ClickAsync();
        await Assertions.Expect(prompt).ToHaveValueAsync("blue heart");
        await Assertions.Expect(page.Locator("[data-testid=emphasis-chip]")).ToHaveCountAsync(0);

        // Malformed syntax: a readable message, no chips.
        await prompt.FillAsync("(blue heart");
        await Assertions.Expect(page.Locator("[data-testid=emphasis-error]")).ToContainTextAsync("never closed");

        await prompt.FillAsync("blue heart");
        await page.Locator("[data-testid=emphasis-word]", new() { HasText = "blue" }).ClickAsync();
        await page.Locator("[data-testid=generate]").ClickAsync();
        await BrowserApp.WaitForDoneAsync(page);

        var phraseScore = page.Locator("[data-testid=phrase-score]");
        await Assertions.Expect(phraseScore).ToContainTextAsync("blue ×1.5");
        var text = await page.Locator("[data-testid=scores]").InnerTextAsync();
        Assert.Matches(@"Prompt: matches (well|partly|weakly) \(-?\d\.\d\d\)", text);

        // The stored image keeps the emphasized prompt (its PNG parameters restore it).
        var href = await page.Locator("a[download]").GetAttributeAsync("href");
        var png = await app.FetchAsync(page, href!);
        var (entries, _) = RefineWeb.Engine.Imaging.PngText.Read(png);
        Assert.Contains("(blue:1.5) heart", entries["parameters"]);

        await page.ScreenshotAsync(new() { Path = BrowserApp.ScreenshotPath("emphasis.png"), FullPage = true });
    }
}
