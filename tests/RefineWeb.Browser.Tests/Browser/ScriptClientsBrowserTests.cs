using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;

namespace RefineWeb.Tests.Browser;

/// <summary>
/// Clients nobody here wrote, against the real server: a token made on the gallery page in Chromium, then the npm
/// SignalR client in Node (tests/clients/generate.mjs, the README's example) over JSON and MessagePack, and plain curl.
/// </summary>
public sealed class ScriptClientsBrowserTests
{
    static readonly string Clients = Path.Combine(RefineWebFactory.RepositoryRoot, "tests", "clients");

    /// <summary>Runs a real process to the end (killed after two minutes) and returns its exit code and output.</summary>
    static async Task<(int Exit, string Output, string Error)> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Clients };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} ran for two minutes.");
        }
        return (process.ExitCode, await output, await error);
    }

    [Fact]
    public async Task A_token_from_the_page_lets_node_and_curl_generate_watch_every_event_and_download_the_png()
    {
        Assert.True(Directory.Exists(Path.Combine(Clients, "node_modules", "@microsoft", "signalr")),
            "tests/clients/node_modules is missing: run `npm ci` in tests/clients (scripts/test.sh does)");
        await using var app = await BrowserApp.StartAsync();
        var server = app.Address.Replace("localhost", "127.0.0.1"); // a token needs no cookie, so no localhost rule either
        var page = await app.OpenAsync();
        await page.GotoAsync(app.Address + "/gallery");
        await page.WaitForSelectorAsync("[data-testid=create-token]:not([disabled])"); // the circuit is up: typing before would be re-rendered away
        await page.Locator("input[data-testid=token-name], [data-testid=token-name] input").FillAsync("ci script");
        await page.Locator("[data-testid=create-token]").ClickAsync();
        var token = await page.Locator("input[data-testid=token-value], [data-testid=token-value] input").InputValueAsync(new() { Timeout = 15_000 });
        Assert.Matches("^rw_", token);
        await Assertions.Expect(page.Locator("[data-testid=token-row-name]")).ToHaveTextAsync("ci script");

        var pngs = new Dictionary<string, byte[]>();
        foreach (var protocol in new[] { "json", "msgpack" })
        {
            var outFile = Path.Combine(Path.GetTempPath(), $"refineweb-node-{protocol}-{Guid.NewGuid():N}.png");
            var (exit, output, error) = await RunAsync("node", "generate.mjs", "--url", server, "--token", token, "--prompt", "red heart", "--seed", "3",
                "--protocol", protocol, "--out", outFile);
            Assert.True(exit == 0, $"node ({protocol}) exited {exit}: {error}\n{output}");
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.StartsWith("event queued", lines[0]);
            // Every step of every stage arrives, in order, then the end.
            var steps = lines.Where(l => l.StartsWith("event running ") && l.Contains(" step ")).Select(l => string.Join(' ', l.Split(' ')[2..7])).ToList();
            var expected = ShippedStages().SelectMany(stage => Enumerable.Range(1, stage.DefaultSteps)
                .Select(step => $"{stage.Name} {stage.Resolution} px step {step}/{stage.DefaultSteps}")).ToList();
            Assert.Equal(expected, steps);
            Assert.Contains(lines, l => l.StartsWith("event succeeded"));
            Assert.Contains(lines, l => l.Contains("previews 1")); // frames reach an outside client
            int side = ShippedStages()[^1].Resolution;
            Assert.Matches($@"wrote .+ \({side}x{side}, \d+ bytes\)", lines[^1]);
            pngs[protocol] = await File.ReadAllBytesAsync(outFile);
            File.Delete(outFile);
        }
        Assert.Equal(pngs["json"], pngs["msgpack"]); // same prompt and seed: the same bytes, whatever the protocol

        // curl, as a shell script would: queue, poll, download.
        var (code, created, curlError) = await RunAsync("curl", "-sS", "-X", "POST", "-H", $"Authorization: Bearer {token}", "-H", "Content-Type: application/json",
            "-d", """{"prompt": "blue heart", "seed": 5, "stages": 3}""", server + "/api/v1/generations");
        Assert.True(code == 0, curlError);
        var id = JsonDocument.Parse(created).RootElement.GetProperty("id").GetString();
        JsonElement status = default;
        for (int poll = 0; poll < 600; poll++, await Task.Delay(100))
        {
            var (_, body, _) = await RunAsync("curl", "-sS", "-H", $"Authorization: Bearer {token}", $"{server}/api/v1/generations/{id}");
            status = JsonDocument.Parse(body).RootElement;
            if (status.GetProperty("status").GetString() is not ("queued" or "running")) break;
        }
        Assert.Equal("succeeded", status.GetProperty("status").GetString());
        var downloaded = Path.Combine(Path.GetTempPath(), $"refineweb-curl-{Guid.NewGuid():N}.png");
        (code, _, curlError) = await RunAsync("curl", "-sS", "-f", "-H", $"Authorization: Bearer {token}", "-o", downloaded, server + status.GetProperty("images")[0].GetString());
        Assert.True(code == 0, curlError);
        using (var bitmap = SkiaSharp.SKBitmap.Decode(downloaded)) Assert.Equal((64, 64), (bitmap.Width, bitmap.Height));
        File.Delete(downloaded);

        // All three landed in the browser's own gallery.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("[data-testid=gallery-card]")).ToHaveCountAsync(3, new() { Timeout = 15_000 });

        // Revoked on the page: the next script request is refused with a problem, not given an empty session.
        await page.Locator("[data-testid=revoke-token]:not([disabled])").ClickAsync(); // enabled once the reloaded page's circuit is up
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync(); // asked first: it cannot be undone
        await Assertions.Expect(page.Locator("[data-testid=tokens]")).ToHaveCountAsync(0);
        var (_, refused, _) = await RunAsync("curl", "-sS", "-w", "\n%{http_code}", "-H", $"Authorization: Bearer {token}", server + "/api/v1/gallery");
        Assert.EndsWith("\n401", refused);
        Assert.Contains("revoked, or it is mistyped", refused);
    }

    /// <summary>The shipped model's stages as their configs give them.</summary>
    static IReadOnlyList<Engine.Models.StageConfig> ShippedStages()
    {
        var directory = Path.Combine(RefineWebFactory.RepositoryRoot, "models", "emoji-cascade-v1");
        return [.. Engine.Pipelines.CascadeManifest.Load(directory).Stages.Select(stage => Engine.Models.StageConfig.Load(Engine.Pipelines.CascadeManifest.StageConfigPath(directory, stage)))];
    }
}
