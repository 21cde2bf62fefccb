using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RefineWeb.Generation;

namespace RefineWeb.Tests.Browser;

/// <summary>
/// The real app on Kestrel (loopback, free port) serving the shipped model, and Debian's Chromium driven by
/// Playwright (browsers cannot be downloaded here, so Playwright is pointed at /usr/bin/chromium).
/// </summary>
public sealed class BrowserApp : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    BrowserApp(RefineWebFactory factory, IPlaywright playwright, IBrowser browser, string address)
    {
        Factory = factory;
        Playwright = playwright;
        Browser = browser;
        Address = address;
    }

    public RefineWebFactory Factory { get; }
    public IPlaywright Playwright { get; }
    public IBrowser Browser { get; }
    public string Address { get; }

    /// <summary>Where tests leave screenshots: the test output folder.</summary>
    public static string ScreenshotPath(string name) => Path.Combine(AppContext.BaseDirectory, "screenshots", name);

    /// <summary>The shipped model's stage sizes, coarsest first, as its stage configs give them.</summary>
    public static IReadOnlyList<int> ShippedResolutions()
    {
        var directory = Path.Combine(RefineWebFactory.RepositoryRoot, "models", "emoji-cascade-v1");
        return [.. Engine.Pipelines.CascadeManifest.Load(directory).Stages
            .Select(stage => Engine.Models.StageConfig.Load(Engine.Pipelines.CascadeManifest.StageConfigPath(directory, stage)).Resolution)];
    }

    public static async Task<BrowserApp> StartAsync(string? modelDirectory = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        if (!File.Exists(ChromiumPath)) throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium (scripts/test.sh does).");
        var factory = new RefineWebFactory(modelDirectory ?? Path.Combine(RefineWebFactory.RepositoryRoot, "models", "emoji-cascade-v1"), settings);
        factory.UseKestrel(0);
        factory.StartServer();
        // Browsers treat http://localhost as a secure context, so the session's Secure cookie works without TLS.
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("127.0.0.1", "localhost");
        await factory.Services.GetRequiredService<ModelHost>().Loaded;
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true });
        return new BrowserApp(factory, playwright, browser, address);
    }

    /// <param name="options">The browser's settings (default: a 1280x800 desktop window).</param>
    public async Task<IPage> OpenAsync(string path = "/", BrowserNewContextOptions? options = null)
    {
        var context = await Browser.NewContextAsync(options ?? new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(Address + path);
        // Generate turns on once Blazor's circuit is up (before that, a click would do nothing).
        await page.WaitForSelectorAsync("[data-testid=generate]:not([disabled])");
        return page;
    }

    /// <summary>
    /// Waits until the page's job says "Done". On a timeout it fails with what the page showed instead (the headline,
    /// Blazor's error bar, the console) and leaves a screenshot, so a slow machine and a stuck page can be told apart.
    /// </summary>
    public static async Task WaitForDoneAsync(IPage page, int timeoutMilliseconds = 90_000)
    {
        var console = new List<string>();
        void Heard(object? sender, IConsoleMessage message) => console.Add($"{message.Type}: {message.Text}");
        page.Console += Heard;
        try
        {
            await page.Locator("[data-testid=progress-text]", new() { HasText = "Done" }).WaitForAsync(new() { Timeout = timeoutMilliseconds });
        }
        catch (TimeoutException)
        {
            string headline = await page.Locator("[data-testid=headline]").CountAsync() > 0 ? await page.Locator("[data-testid=headline]").InnerTextAsync() : "(no job shown)";
            bool errorBar = await page.Locator("#blazor-error-ui").IsVisibleAsync();
            var path = ScreenshotPath($"not-done-{Guid.NewGuid():N}.png");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await page.ScreenshotAsync(new() { Path = path, FullPage = true });
            Assert.Fail($"No \"Done\" after {timeoutMilliseconds / 1000} s. Headline: {headline}. Blazor's error bar shown: {errorBar}. " +
                $"Console since the wait began: [{string.Join(" | ", console)}]. Screenshot: {path}");
        }
        finally
        {
            page.Console -= Heard;
        }
    }

    /// <summary>Fetches a URL as the page's browser session would (its cookies): images belong to a session.</summary>
    public async Task<byte[]> FetchAsync(IPage page, string? url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var response = await page.Context.APIRequest.GetAsync(new Uri(new Uri(Address), url).ToString());
        if (!response.Ok) throw new InvalidOperationException($"GET {url} gave {response.Status}.");
        return await response.BodyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await Factory.DisposeAsync();
    }
}
