using Microsoft.Playwright;

namespace RefineWeb.Tests.Browser;

/// <summary>The page as a phone user and a keyboard-only user meet it, in Chromium.</summary>
public sealed class KeyboardAndPhoneBrowserTests
{
    [Fact]
    public async Task On_a_phone_the_forming_picture_is_on_screen_above_the_form()
    {
        await using var app = await BrowserApp.StartAsync();
        var phone = await app.OpenAsync("/", new() { ViewportSize = new() { Width = 390, Height = 844 }, HasTouch = true, IsMobile = true });
        await phone.WaitForSelectorAsync("[data-testid=generate]:not([disabled])");
        await phone.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea").FillAsync("red heart");
        await phone.Locator("[data-testid=generate]").TapAsync();
        await phone.Locator("[data-testid=progress-text]").WaitForAsync(new() { Timeout = 30_000 });
        await phone.Locator("img[data-testid=preview]").WaitForAsync(new() { Timeout = 60_000 });
        var picture = (await phone.Locator("img[data-testid=preview]").BoundingBoxAsync())!;
        var prompt = (await phone.Locator("[data-testid=prompt]").BoundingBoxAsync())!;
        Assert.True(picture.Y + picture.Height / 2 < 844, $"the picture's middle is at {picture.Y + picture.Height / 2:0} px, below the 844 px screen");
        Assert.True(picture.Y < prompt.Y, "the picture comes before the form");
        await phone.ScreenshotAsync(new() { Path = BrowserApp.ScreenshotPath("phone.png") });
    }

    [Fact]
    public async Task Keyboard_only_reaches_the_upload_area_and_the_recent_images_and_the_gallery_dialog_closes_on_escape()
    {
        await using var app = await BrowserApp.StartAsync();
        var page = await app.OpenAsync();
        await page.WaitForSelectorAsync("[data-testid=generate]:not([disabled])");
        await page.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea").FillAsync("red heart");
        await page.Keyboard.PressAsync("Control+Enter");
        await BrowserApp.WaitForDoneAsync(page);
        await page.Locator("button[data-testid=thumbnail]").WaitForAsync(new() { Timeout = 15_000 });

        // Tab from the prompt onwards: the upload area and a recent image come up, each with a visible focus ring.
        await page.Locator("textarea[data-testid=prompt], [data-testid=prompt] textarea").FocusAsync();
        var reached = new HashSet<string>();
        for (int i = 0; i < 60 && reached.Count < 2; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var focused = await page.EvaluateAsync<string?>("() => document.activeElement?.getAttribute('data-testid')");
            if (focused is "upload-area" or "thumbnail")
            {
                reached.Add(focused);
                var outline = await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle");
                Assert.True(outline != "none", $"{focused} has focus but no outline");
            }
        }
        Assert.Equal(["thumbnail", "upload-area"], reached.Order());
        // Enter on a focused recent image opens it in the brush editor.
        await page.Locator("button[data-testid=thumbnail]").First.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("[data-testid=edit-panel]").WaitForAsync(new() { Timeout = 15_000 });

        // The gallery: an image opens with Enter and its dialog closes with Escape.
        await page.GotoAsync(app.Address + "/gallery");
        await page.WaitForSelectorAsync("[data-testid=create-token]:not([disabled])");
        await page.Locator("[data-testid=open-image]").First.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.Locator(".mud-dialog");
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        // MudBlazor listens for Escape once the dialog's own script has attached, a moment after it shows: a key
        // pressed before then is lost, as it would be for a person. Press again (a few times at most) until it closes.
        for (int attempt = 0; attempt < 10 && await dialog.CountAsync() > 0; attempt++)
        {
            await page.Keyboard.PressAsync("Escape");
            await page.WaitForTimeoutAsync(300);
        }
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
    }
}
