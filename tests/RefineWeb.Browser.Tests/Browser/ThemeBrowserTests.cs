using Microsoft.Playwright;

namespace RefineWeb.Tests.Browser;

/// <summary>Dark mode as people expect it: the system's preference first, then their own choice, kept across reloads.</summary>
public sealed class ThemeBrowserTests
{
    /// <summary>Whether the page's background is dark (relative luminance below one half).</summary>
    const string IsDark = """
        () => {
          const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\d+/g).map(Number);
          return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 < 0.5;
        }
        """;

    static Task WaitForDark(IPage page, bool dark) =>
        page.WaitForFunctionAsync($"() => ({IsDark})() === {(dark ? "true" : "false")}", null, new() { Timeout = 10_000 });

    [Fact]
    public async Task The_system_preference_applies_first_and_a_chosen_theme_survives_a_reload()
    {
        await using var app = await BrowserApp.StartAsync();
        var dark = await app.OpenAsync("/", new() { ViewportSize = new() { Width = 1280, Height = 800 }, ColorScheme = ColorScheme.Dark });
        await WaitForDark(dark, true);

        var page = await app.OpenAsync("/", new() { ViewportSize = new() { Width = 1280, Height = 800 }, ColorScheme = ColorScheme.Light });
        await WaitForDark(page, false);
        await Assertions.Expect(page.Locator("[data-testid=theme-toggle]")).ToHaveAttributeAsync("aria-label", "Use the dark theme");
        await page.Locator("[data-testid=theme-toggle]").ClickAsync();
        await WaitForDark(page, true);
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("[data-testid=generate]:not([disabled])");
        await WaitForDark(page, true); // the choice outranks the system's light preference
        await page.GotoAsync(app.Address + "/gallery");
        await WaitForDark(page, true);
        await page.Locator("[data-testid=theme-toggle]").ClickAsync();
        await WaitForDark(page, false);
    }

    [Fact]
    public async Task A_touch_screen_is_not_told_about_ctrl_enter()
    {
        await using var app = await BrowserApp.StartAsync();
        var phone = await app.OpenAsync("/", new() { ViewportSize = new() { Width = 390, Height = 844 }, HasTouch = true, IsMobile = true });
        await Assertions.Expect(phone.Locator(".keyboard-hint")).ToBeHiddenAsync();
        var desktop = await app.OpenAsync();
        await Assertions.Expect(desktop.Locator(".keyboard-hint")).ToBeVisibleAsync();
    }
}
