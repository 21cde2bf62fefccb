using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace RefineWeb.Cluster.Tests;

/// <summary>
/// One user's session against any node of the cluster: it keeps the session cookie and sends it to every node, as a
/// browser behind a load balancer would (a session is not tied to a node).
/// </summary>
public sealed class SessionClient : IDisposable
{
    readonly HttpClient http = new(new HttpClientHandler { UseCookies = false }) { Timeout = TimeSpan.FromSeconds(30) };
    string? cookie;

    /// <summary>The session cookie ("refineweb.session=..."), to share the session with a browser.</summary>
    public string? Cookie
    {
        get => cookie;
        set => cookie = value;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, object? body = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null) request.Content = JsonContent.Create(body);
        if (cookie is not null) request.Headers.Add("Cookie", cookie);
        var response = await http.SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var set))
            cookie = set.Select(c => c.Split(';')[0]).FirstOrDefault(c => c.StartsWith("refineweb.session=", StringComparison.Ordinal)) ?? cookie;
        return response;
    }

    /// <summary>POSTs a generation to a node; returns its id (asserting 202).</summary>
    public async Task<string> PostAsync(string node, object body)
    {
        using var response = await SendAsync(HttpMethod.Post, node + "/api/v1/generations", body);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"POST answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    /// <summary>The job's status from a node; a 404 fails the test (a job must never be lost).</summary>
    public async Task<JsonElement> StatusAsync(string node, string id)
    {
        using var response = await SendAsync(HttpMethod.Get, $"{node}/api/v1/generations/{id}");
        Assert.True(response.IsSuccessStatusCode, $"GET {id} on {node} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Polls a node until the job ends (or the timeout); every status seen, in order.</summary>
    public async Task<List<JsonElement>> FollowAsync(string node, string id, TimeSpan timeout, Func<string>? diagnostics = null)
    {
        var seen = new List<JsonElement>();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var status = await StatusAsync(node, id);
            seen.Add(status);
            if (status.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled") return seen;
            Assert.True(DateTime.UtcNow < deadline, $"generation {id} did not end in {timeout}; last: {status}\n{diagnostics?.Invoke()}");
            await Task.Delay(100);
        }
    }

    public async Task<byte[]> ImageAsync(string node, string url)
    {
        using var response = await SendAsync(HttpMethod.Get, node + url);
        Assert.True(response.IsSuccessStatusCode, $"GET {url} answered {(int)response.StatusCode}");
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>A SignalR connection to a node's hub in this session.</summary>
    public async Task<HubConnection> ConnectAsync(string node)
    {
        if (cookie is null) (await SendAsync(HttpMethod.Get, node + "/api/v1/gallery")).Dispose(); // a session first, kept by REST calls too
        var connection = new HubConnectionBuilder()
            .WithUrl(node + "/hubs/generation", o => o.Headers["Cookie"] = cookie ?? "")
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)))
            .Build();
        await connection.StartAsync();
        return connection;
    }

    public void Dispose() => http.Dispose();
}
