using RefineWeb.Data;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using RefineWeb.Gallery;
using RefineWeb.Generation;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Tests.Gallery;

/// <summary>Scripts without the browser's cookie: personal access tokens on REST and the hub, and what a cookieless request is told.</summary>
public sealed class AccessTokenTests : IAsyncLifetime
{
    TinyModelApp app = null!;
    readonly Guid owner = Guid.NewGuid();

    public async Task InitializeAsync() => app = await TinyModelApp.StartAsync();
    public async Task DisposeAsync() => await app.DisposeAsync();

    HttpClient Script(string? token = null)
    {
        var client = new HttpClient(app.Factory.Server.CreateHandler()) { BaseAddress = app.Factory.ClientOptions.BaseAddress };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    async Task<string> NewTokenAsync(string name = "test script")
    {
        var (token, problem) = await app.Service<AccessTokenService>().CreateAsync(owner, name);
        Assert.Null(problem);
        return token!.Token!;
    }

    [Fact]
    public async Task A_bearer_token_acts_as_its_session_on_rest_generating_listing_and_downloading()
    {
        var token = await NewTokenAsync();
        Assert.Matches("^rw_[A-Za-z0-9_-]{43}$", token);
        using var script = Script(token);
        using var created = await script.PostAsJsonAsync("/api/v1/generations", new { prompt = "red heart", seed = 2 });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        Assert.False(created.Headers.Contains(SessionIdentity.NewSessionHeader));
        Assert.False(created.Headers.Contains("Set-Cookie")); // a token needs no cookie
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Empty(body.GetProperty("warnings").EnumerateArray());
        var id = body.GetProperty("id").GetString()!;

        JsonElement status;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        do status = await script.GetFromJsonAsync<JsonElement>($"/api/v1/generations/{id}");
        while (status.GetProperty("status").GetString() != "succeeded" && DateTime.UtcNow < deadline && await Task.Delay(50).ContinueWith(_ => true));
        var url = status.GetProperty("images")[0].GetString()!;
        var png = await script.GetByteArrayAsync(url);
        using var bitmap = SkiaSharp.SKBitmap.Decode(png);
        Assert.Equal(64, bitmap.Width);

        // The same session's gallery, through a second token of the same session; another session sees nothing.
        using var second = Script(await NewTokenAsync("second"));
        var gallery = await second.GetFromJsonAsync<JsonElement>("/api/v1/gallery");
        Assert.Equal(url, gallery[0].GetProperty("url").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync(url)).StatusCode);

        var stored = await app.Service<AccessTokenService>().ListAsync(owner);
        Assert.Equal(["second", "test script"], stored.Select(t => t.Name));
        Assert.All(stored, t => Assert.Null(t.Token)); // shown once, at creation
        Assert.NotNull(stored.Single(t => t.Name == "test script").LastUsedAt);
    }

    [Fact]
    public async Task Tokens_are_stored_hashed_and_a_revoked_or_mistyped_token_gets_a_401_problem_not_a_new_session()
    {
        var token = await NewTokenAsync();
        var factory = app.Service<IDbContextFactory<GalleryDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            var row = await db.AccessTokens.SingleAsync();
            Assert.Equal(64, row.TokenHash.Length);
            Assert.DoesNotContain(token[3..], row.TokenHash);
        }

        var id = (await app.Service<AccessTokenService>().ListAsync(owner)).Single().Id;
        Assert.True(await app.Service<AccessTokenService>().RevokeAsync(owner, id));
        Assert.False(await app.Service<AccessTokenService>().RevokeAsync(Guid.NewGuid(), id));
        foreach (var bad in new[] { token, token[..^2] + "xx", "not-a-token" })
        {
            using var script = Script(bad);
            using var response = await script.GetAsync("/api/v1/gallery");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            Assert.Contains("revoked, or it is mistyped", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
            Assert.False(response.Headers.Contains("Set-Cookie"));
        }
        Assert.Equal(0, app.Service<GenerationQueue>().Known);
    }

    [Fact]
    public async Task A_request_with_neither_cookie_nor_token_is_told_it_is_a_new_empty_session()
    {
        using var script = Script();
        using var created = await script.PostAsJsonAsync("/api/v1/generations", new { prompt = "red heart", seed = 2 });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        Assert.Equal(SessionIdentity.NewSessionNotice, created.Headers.GetValues(SessionIdentity.NewSessionHeader).Single());
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var warnings = body.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
        Assert.Contains(warnings, w => w.StartsWith("No session cookie or access token: this is a new, empty session"));
        Assert.Equal($"/api/v1/generations/{body.GetProperty("id").GetString()}", created.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task The_hub_takes_the_token_as_access_token_and_its_events_carry_image_urls_the_token_downloads()
    {
        var token = await NewTokenAsync();
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(app.Factory.ClientOptions.BaseAddress, Paths.Hub), o =>
            {
                o.HttpMessageHandlerFactory = _ => app.Factory.Server.CreateHandler();
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
            .Build();
        await connection.StartAsync();
        var events = new List<GenerationEvent>();
        await foreach (var update in connection.StreamAsync<GenerationEvent>("Generate", new GenerationInput { Prompt = "blue heart", Seed = 4, Steps = [2, 1, 1] }))
            events.Add(update);
        Assert.Equal(GenerationStatus.Succeeded, events[^1].Status);
        var url = Assert.Single(events[^1].ImageUrls!);
        using var script = Script(token);
        using var bitmap = SkiaSharp.SKBitmap.Decode(await script.GetByteArrayAsync(url));
        Assert.Equal(64, bitmap.Height);

        await using var refused = new HubConnectionBuilder()
            .WithUrl(new Uri(app.Factory.ClientOptions.BaseAddress, Paths.Hub), o =>
            {
                o.HttpMessageHandlerFactory = _ => app.Factory.Server.CreateHandler();
                o.AccessTokenProvider = () => Task.FromResult<string?>("rw_" + new string('a', 43));
            }).Build();
        var error = await Assert.ThrowsAnyAsync<HttpRequestException>(() => refused.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
    }

    [Theory]
    [InlineData("", "Give the token a name")]
    [InlineData("   ", "Give the token a name")]
    [InlineData("tab\there", "control character")]
    public async Task A_token_needs_a_plain_name(string name, string message)
    {
        var (token, problem) = await app.Service<AccessTokenService>().CreateAsync(owner, name);
        Assert.Null(token);
        Assert.Contains(message, problem);
        Assert.Empty(await app.Service<AccessTokenService>().ListAsync(owner));
    }

    /// <summary>A script's hub connection over a WebSocket, as real clients use: authenticated once, when it opens.</summary>
    HubConnection TokenHub(string token) => new HubConnectionBuilder()
        .WithUrl(new Uri(app.Factory.ClientOptions.BaseAddress, Paths.Hub), o =>
        {
            o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
            o.SkipNegotiation = true;
            o.WebSocketFactory = async (context, cancellation) =>
            {
                var client = app.Factory.Server.CreateWebSocketClient();
                client.ConfigureRequest = request => request.Headers.Authorization = "Bearer " + token;
                return await client.ConnectAsync(context.Uri, cancellation);
            };
        })
        .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
        .Build();

    /// <summary>A call that needs a working connection and changes nothing: watching a job that does not exist.</summary>
    static async Task<string> ProbeAsync(HubConnection connection)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var _ in connection.StreamAsync<GenerationEvent>("Watch", "no-such-job")) { }
        });
        return error.Message;
    }

    [Fact]
    public async Task Revoking_a_token_closes_its_open_hub_connections_at_once()
    {
        var token = await NewTokenAsync();
        var other = await NewTokenAsync("other");
        await using var connection = TokenHub(token);
        await using var bystander = TokenHub(other);
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += e => { closed.TrySetResult(e); return Task.CompletedTask; };
        await connection.StartAsync();
        await bystander.StartAsync();
        Assert.Contains("There is no generation", await ProbeAsync(connection));
        var tokenId = (await app.Service<AccessTokenService>().ListAsync(owner)).Single(t => t.Name == "test script").Id;
        Assert.Equal(1, app.Service<AccessTokenConnections>().OpenCount(tokenId));

        Assert.True(await app.Service<AccessTokenService>().RevokeAsync(owner, tokenId)); // as the gallery page's Revoke does

        await closed.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(HubConnectionState.Disconnected, connection.State);
        await Assert.ThrowsAnyAsync<Exception>(() => connection.StartAsync()); // and it cannot come back
        Assert.Contains("There is no generation", await ProbeAsync(bystander)); // the session's other token works on
        Assert.Equal(0, app.Service<GenerationQueue>().Known);
    }

    [Fact]
    public async Task A_call_on_a_connection_whose_token_was_revoked_elsewhere_is_refused_and_ends_it()
    {
        var token = await NewTokenAsync();
        await using var connection = TokenHub(token);
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += e => { closed.TrySetResult(e); return Task.CompletedTask; };
        await connection.StartAsync();
        Assert.Contains("There is no generation", await ProbeAsync(connection));
        // Revoked by another node whose announcement never arrived (Redis down): only the row says so.
        await using (var db = await app.Service<IDbContextFactory<GalleryDbContext>>().CreateDbContextAsync())
            await db.AccessTokens.ExecuteUpdateAsync(set => set.SetProperty(t => t.RevokedAt, DateTime.UtcNow));

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => connection.StreamAsync<GenerationEvent>("Generate", new GenerationInput { Prompt = "red heart" })
            .GetAsyncEnumerator().MoveNextAsync().AsTask());
        Assert.Contains("access token was revoked", refused.Message);
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(15)); // and the connection ends
        Assert.Equal(0, app.Service<GenerationQueue>().Known);
    }

    [Theory]
    [InlineData("GET", "/")]
    [InlineData("GET", "/gallery")]
    [InlineData("POST", "/_blazor/negotiate?negotiateVersion=1")]
    public async Task A_token_cannot_open_the_pages_where_tokens_are_made_and_revoked(string method, string path)
    {
        var token = await NewTokenAsync();
        using var script = Script(token);
        using var response = await script.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Access tokens are for the API only", problem.GetProperty("title").GetString());
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Single(await app.Service<AccessTokenService>().ListAsync(owner)); // no token made through it
        using var api = await script.GetAsync("/api/v1/gallery");
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
    }
}
