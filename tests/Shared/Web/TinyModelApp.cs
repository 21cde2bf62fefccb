using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Text;
using RefineWeb.Generation;

namespace RefineWeb.Tests;

/// <summary>The real host serving a tiny seeded cascade (random weights, fast on CPU), with helpers to talk to it.</summary>
public sealed class TinyModelApp : IAsyncDisposable
{
    readonly string model = Directory.CreateTempSubdirectory("refineweb-app-").FullName;

    TinyModelApp(IReadOnlyDictionary<string, string>? settings, Action<Microsoft.AspNetCore.Hosting.IWebHostBuilder>? configure)
    {
        Engine.Runtime.TorchRuntime.Initialize();
        CascadeBlueprint.Write(model, WordTokenizer.BuildVocabulary(["red heart", "blue heart", "green apple", "cat face"]), CascadePreset.Tiny, seed: 2);
        // A meaning index as `refineweb model index-meanings` writes it (its building is tested in the CLI's tests).
        new WordMeanings(new Dictionary<string, IReadOnlyList<string>> { ["hill"] = ["apple", "heart"] }).Save(model);
        Factory = new RefineWebFactory(model, settings, configure: configure);
        (Client, Cookies) = Factory.CreateSession();
    }

    public RefineWebFactory Factory { get; }
    public string ModelDirectory => model;
    /// <summary>The first browser session; <see cref="RefineWebFactory.CreateSession"/> makes others.</summary>
    public HttpClient Client { get; }
    public CookieJar Cookies { get; }
    public T Service<T>() where T : notnull => Factory.Services.GetRequiredService<T>();

    public static async Task<TinyModelApp> StartAsync(IReadOnlyDictionary<string, string>? settings = null,
        Action<Microsoft.AspNetCore.Hosting.IWebHostBuilder>? configure = null)
    {
        var app = new TinyModelApp(settings, configure);
        await app.Service<ModelHost>().Loaded;
        await app.Service<GenerationTiming>().WarmedUp.WaitAsync(TimeSpan.FromSeconds(60)); // tests start with the engine idle
        return app;
    }

    /// <summary>A SignalR client in the first session (its cookie), or in <paramref name="cookies"/>' session.</summary>
    /// <param name="messagePack">Speak MessagePack with these options (JSON when null).</param>
    public async Task<HubConnection> ConnectAsync(CookieJar? cookies = null, MessagePack.MessagePackSerializerOptions? messagePack = null)
    {
        var jar = cookies ?? Cookies;
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(Factory.ClientOptions.BaseAddress, Paths.Hub), o => o.HttpMessageHandlerFactory = _ => jar.Over(Factory.Server.CreateHandler()));
        var connection = (messagePack is null
            ? builder.AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
            : builder.AddMessagePackProtocol(o => o.SerializerOptions = messagePack)).Build();
        await connection.StartAsync();
        return connection;
    }

    /// <summary>POSTs a generation and returns its id (asserting 202).</summary>
    public Task<string> PostAsync(object body) => PostJobAsync("/api/v1/generations", body);

    public Task<string> PostRefinementAsync(object body) => PostJobAsync("/api/v1/refinements", body);

    public Task<string> PostUpscaleAsync(object body) => PostJobAsync("/api/v1/upscales", body);

    async Task<string> PostJobAsync(string path, object body)
    {
        using var created = await Client.PostAsJsonAsync(path, body);
        if (created.StatusCode != System.Net.HttpStatusCode.Accepted)
            throw new InvalidOperationException($"POST gave {created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    public async Task<JsonElement> StatusAsync(string id) => await Client.GetFromJsonAsync<JsonElement>($"/api/v1/generations/{id}");

    /// <summary>Polls until the generation's status is one of <paramref name="states"/>.</summary>
    public async Task<JsonElement> WaitForAsync(string id, params string[] states)
    {
        if (states.Length == 0) states = ["succeeded", "failed", "cancelled"];
        for (int i = 0; i < 1200; i++)
        {
            var status = await StatusAsync(id);
            if (states.Contains(status.GetProperty("status").GetString())) return status;
            await Task.Delay(50);
        }
        throw new TimeoutException($"Generation {id} never reached {string.Join("/", states)}.");
    }

    public async ValueTask DisposeAsync()
    {
        await Factory.DisposeAsync();
        Directory.Delete(model, recursive: true);
    }
}
