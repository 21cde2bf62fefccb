using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Text;
using RefineWeb.Gallery;
using SkiaSharp;

namespace RefineWeb.Tests.Gallery;

/// <summary>Sessions, the gallery API, ownership and share links through the real host (SQLite on disk, tiny model).</summary>
public sealed class GalleryApiTests : IAsyncLifetime
{
    readonly LogCapture logs = new();
    TinyModelApp app = null!;

    public async Task InitializeAsync() => app = await TinyModelApp.StartAsync(configure: b => b.ConfigureLogging(l => l.AddProvider(logs)));

    public async Task DisposeAsync() => await app.DisposeAsync();

    static byte[] Png(int size, SKColor color)
    {
        using var bitmap = new SKBitmap(size, size);
        bitmap.Erase(color);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    static async Task<string> UploadAsync(HttpClient client, byte[] png)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(png), "file", "picture.png" } };
        using var response = await client.PostAsync("/api/v1/uploads", form);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    /// <summary>Generates "red heart" in the first session and returns the image id and the job id.</summary>
    async Task<(string Image, string Job)> GenerateAsync()
    {
        var job = await app.PostAsync(new { prompt = "red heart", seed = 3 });
        var status = await app.WaitForAsync(job);
        Assert.Equal("succeeded", status.GetProperty("status").GetString());
        var url = status.GetProperty("images")[0].GetString()!;
        return (url["/api/v1/images/".Length..^".png".Length], job);
    }

    async Task<JsonElement> ShareAsync(HttpClient client, object body, HttpStatusCode expected = HttpStatusCode.Created)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/shares", body);
        Assert.Equal(expected, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>A client with no cookies at all, as someone opening a shared link.</summary>
    HttpClient Anonymous() => new(app.Factory.Server.CreateHandler()) { BaseAddress = app.Factory.ClientOptions.BaseAddress };

    [Fact]
    public async Task A_new_visitor_gets_one_secure_http_only_lax_session_cookie_that_keeps_their_gallery()
    {
        var (client, cookies) = app.Factory.CreateSession();
        using var first = await client.GetAsync("/api/v1/gallery");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("[]", await first.Content.ReadAsStringAsync());
        var cookie = Assert.Single(first.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith($"{SessionIdentity.CookieName}=", cookie);
        foreach (var attribute in new[] { "httponly", "secure", "samesite=lax", "expires=" }) Assert.Contains(attribute, cookie.ToLowerInvariant());

        var id = await UploadAsync(client, Png(16, SKColors.Red));
        using var second = await client.GetAsync("/api/v1/gallery");
        Assert.False(second.Headers.Contains("Set-Cookie")); // the same session, not a new one per request
        var gallery = await second.Content.ReadFromJsonAsync<JsonElement[]>();
        Assert.Equal(id, Assert.Single(gallery!).GetProperty("id").GetString());
        Assert.NotNull(cookies.Find(SessionIdentity.CookieName));
    }

    [Fact]
    public async Task The_gallery_lists_newest_first_with_settings_and_deleting_removes_image_and_file()
    {
        var (generated, _) = await GenerateAsync();
        var uploaded = await UploadAsync(app.Client, Png(16, SKColors.Blue));
        var gallery = (await app.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/gallery"))!;
        Assert.Equal([uploaded, generated], gallery.Select(g => g.GetProperty("id").GetString()));
        var made = gallery[1];
        Assert.Equal("red heart", made.GetProperty("prompt").GetString());
        Assert.Equal("generated", made.GetProperty("origin").GetString());
        Assert.Equal(3, made.GetProperty("parameters").GetProperty("seed").GetInt64());
        Assert.Equal(64, made.GetProperty("width").GetInt32());

        var files = Path.Combine(app.Factory.DataDirectory, "images");
        int before = Directory.GetFiles(files, "*.png", SearchOption.AllDirectories).Length;
        using (var deleted = await app.Client.DeleteAsync($"/api/v1/images/{generated}")) Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(before - 1, Directory.GetFiles(files, "*.png", SearchOption.AllDirectories).Length);
        using (var gone = await app.Client.GetAsync($"/api/v1/images/{generated}.png")) Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using (var again = await app.Client.DeleteAsync($"/api/v1/images/{generated}")) Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Single((await app.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/gallery"))!);
    }

    [Fact]
    public async Task Another_session_cannot_see_delete_refine_upscale_share_or_cancel_what_is_not_its_own()
    {
        var (image, job) = await GenerateAsync();
        var share = await ShareAsync(app.Client, new { imageId = image });
        var (bob, _) = app.Factory.CreateSession();
        var unknown = Convert.ToHexStringLower(new byte[16]);

        foreach (var path in new[] { $"/api/v1/images/{image}.png", $"/api/v1/images/{image}", $"/api/v1/images/{image}/mask.png", $"/api/v1/generations/{job}" })
            using (var response = await bob.GetAsync(path)) Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        foreach (var path in new[] { $"/api/v1/images/{image}", $"/api/v1/generations/{job}", $"/api/v1/shares/{share.GetProperty("id").GetString()}" })
            using (var response = await bob.DeleteAsync(path)) Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await ShareAsync(bob, new { imageId = image }, HttpStatusCode.NotFound);

        // Refining or upscaling someone else's image reads exactly like naming an image that does not exist.
        var mask = MaskImage.ToPng([.. Enumerable.Range(0, 64 * 64).Select(i => i < 64)], 64, 64);
        foreach (var (path, field, body) in new (string, string, Func<string, object>)[]
        {
            ("/api/v1/refinements", "parentImageId", id => new { parentImageId = id, mask, prompt = "blue heart", strength = 0.5 }),
            ("/api/v1/upscales", "imageId", id => new { imageId = id, prompt = "blue heart" }),
        })
        {
            using var theirs = await bob.PostAsJsonAsync(path, body(image));
            using var missing = await bob.PostAsJsonAsync(path, body(unknown));
            Assert.Equal(HttpStatusCode.BadRequest, theirs.StatusCode);
            var message = (await theirs.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty(field)[0].GetString();
            var missingMessage = (await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty(field)[0].GetString();
            Assert.Equal(missingMessage!.Replace(unknown, image), message);
        }
        Assert.Equal("[]", await bob.GetStringAsync("/api/v1/gallery"));

        // Nothing of Alice's changed.
        using (var still = await app.Client.GetAsync($"/api/v1/images/{image}.png")) Assert.Equal(HttpStatusCode.OK, still.StatusCode);
        using (var link = await Anonymous().GetAsync(new Uri(share.GetProperty("url").GetString()!).PathAndQuery)) Assert.Equal(HttpStatusCode.OK, link.StatusCode);
    }

    [Fact]
    public async Task A_share_link_shows_the_image_read_only_to_anyone_until_it_is_revoked()
    {
        var (image, _) = await GenerateAsync();
        var png = await app.Client.GetByteArrayAsync($"/api/v1/images/{image}.png");
        var share = await ShareAsync(app.Client, new { imageId = image });
        var path = new Uri(share.GetProperty("url").GetString()!).PathAndQuery;
        var token = path["/s/".Length..];
        Assert.Matches("^[A-Za-z0-9_-]{22}$", token);

        using var visitor = Anonymous();
        using (var page = await visitor.GetAsync(path))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var cookies = page.Headers.TryGetValues("Set-Cookie", out var set) ? set : [];
            Assert.DoesNotContain(cookies, c => c.StartsWith(SessionIdentity.CookieName)); // looking at a link starts no session
            var html = await page.Content.ReadAsStringAsync();
            Assert.Contains($"{path}/images/{image}.png", html);
            Assert.Contains("red heart", html);
            Assert.DoesNotContain("data-testid=\"delete\"", html);
            Assert.DoesNotContain("_blazor", html.Replace("_framework/blazor.web.js", "")); // plain HTML, no circuit
        }
        Assert.Equal(png, await visitor.GetByteArrayAsync($"{path}/images/{image}.png"));
        using (var own = await visitor.GetAsync($"/api/v1/images/{image}.png")) Assert.Equal(HttpStatusCode.NotFound, own.StatusCode); // only through the link

        var listed = Assert.Single((await app.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/shares"))!);
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("url").ValueKind); // the token is not kept, so it cannot be shown again

        using (var revoked = await app.Client.DeleteAsync($"/api/v1/shares/{share.GetProperty("id").GetString()}"))
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        using (var page = await visitor.GetAsync(path))
        {
            Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
            Assert.Contains("revoked", await page.Content.ReadAsStringAsync());
        }
        using (var picture = await visitor.GetAsync($"{path}/images/{image}.png")) Assert.Equal(HttpStatusCode.NotFound, picture.StatusCode);

        var whole = await ShareAsync(app.Client, new { });
        Assert.Equal(JsonValueKind.Null, whole.GetProperty("imageId").ValueKind);
        var wholePath = new Uri(whole.GetProperty("url").GetString()!).PathAndQuery;
        Assert.Contains($"{wholePath}/images/{image}.png", await visitor.GetStringAsync(wholePath));

        // Nothing the app logged holds a token.
        Assert.NotEmpty(logs.Entries);
        var leaks = logs.Entries.Where(entry => entry.Contains(token) || entry.Contains(wholePath["/s/".Length..])).ToList();
        Assert.True(leaks.Count == 0, string.Join("\n", leaks));
    }

    [Fact]
    public async Task Bad_share_requests_are_refused_and_create_nothing()
    {
        using (var typo = await app.Client.PostAsync("/api/v1/shares", JsonContent.Create(new { image = "x" })))
            Assert.Equal(HttpStatusCode.BadRequest, typo.StatusCode);
        using (var broken = await app.Client.PostAsync("/api/v1/shares", new StringContent("{", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        await ShareAsync(app.Client, new { imageId = "nope" }, HttpStatusCode.NotFound);
        Assert.Equal("[]", await app.Client.GetStringAsync("/api/v1/shares"));
    }

    [Fact]
    public async Task Creating_is_rate_limited_per_session()
    {
        await using var limited = await TinyModelApp.StartAsync(new Dictionary<string, string> { ["Gallery:CreationsPerMinute"] = "3" });
        await limited.Client.GetAsync("/api/v1/gallery"); // the session's cookie first (a request without one is limited by address)
        for (int i = 0; i < 3; i++) await ShareAsync(limited.Client, new { });
        using var refused = await limited.Client.PostAsJsonAsync("/api/v1/shares", new { });
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal("Too many requests", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        Assert.Equal(3, (await limited.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/shares"))!.Length);

        var (other, _) = limited.Factory.CreateSession(); // another session has its own allowance
        await other.GetAsync("/api/v1/gallery");
        using var allowed = await other.PostAsJsonAsync("/api/v1/shares", new { });
        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
    }

    [Fact]
    public async Task The_session_and_its_gallery_survive_a_server_restart()
    {
        var model = Directory.CreateTempSubdirectory("refineweb-restart-model-").FullName;
        var data = Directory.CreateTempSubdirectory("refineweb-restart-data-").FullName;
        try
        {
            CascadeBlueprint.Write(model, WordTokenizer.BuildVocabulary(["red heart"]), CascadePreset.Tiny, seed: 2);
            var cookies = new CookieJar();
            string id;
            byte[] png;
            await using (var before = new RefineWebFactory(model, dataDirectory: data))
            {
                using var client = new HttpClient(cookies.Over(before.Server.CreateHandler())) { BaseAddress = before.ClientOptions.BaseAddress };
                id = await UploadAsync(client, Png(32, SKColors.Green));
                png = await client.GetByteArrayAsync($"/api/v1/images/{id}.png");
            }
            Assert.True(File.Exists(Path.Combine(data, "gallery.db")));

            await using var after = new RefineWebFactory(model, dataDirectory: data);
            using var again = new HttpClient(cookies.Over(after.Server.CreateHandler())) { BaseAddress = after.ClientOptions.BaseAddress };
            var gallery = (await again.GetFromJsonAsync<JsonElement[]>("/api/v1/gallery"))!;
            Assert.Equal(id, Assert.Single(gallery).GetProperty("id").GetString()); // same cookie, same gallery
            Assert.Equal(png, await again.GetByteArrayAsync($"/api/v1/images/{id}.png"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(model, recursive: true);
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task The_gallery_api_searches_prompts_in_any_case_and_filters_by_origin()
    {
        var (generated, _) = await GenerateAsync(); // "red heart"
        var withPrompt = new ImageParameters { Prompt = "Cat Face, smiling", Width = 64, Height = 64 }.AddTo(Png(64, SKColors.Orange));
        var uploaded = await UploadAsync(app.Client, withPrompt);
        var plain = await UploadAsync(app.Client, Png(64, SKColors.Blue));

        async Task<List<string>> Ids(string query)
        {
            var list = await app.Client.GetFromJsonAsync<JsonElement>("/api/v1/gallery" + query);
            return [.. list.EnumerateArray().Select(i => i.GetProperty("id").GetString()!)];
        }
        Assert.Equal([plain, uploaded, generated], await Ids(""));
        Assert.Equal([generated], await Ids("?q=HEART"));
        Assert.Equal([uploaded], await Ids("?q=cat%20face"));
        Assert.Equal([plain, uploaded], await Ids("?origin=uploaded"));
        Assert.Equal([uploaded], await Ids("?origin=Uploaded&q=smil"));
        Assert.Empty(await Ids("?q=heart&origin=refined"));

        foreach (var bad in new[] { "?origin=painted", "?origin=3", "?q=" + new string('a', GalleryFilter.MaxTextLength + 1) })
        {
            using var response = await app.Client.GetAsync("/api/v1/gallery" + bad);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(problem.GetProperty("errors").EnumerateObject().Any(), bad);
        }
    }
}
