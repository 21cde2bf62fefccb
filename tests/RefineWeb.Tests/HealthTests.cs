using System.Net;
using System.Text.Json;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Text;
using RefineWeb.Generation;
using Microsoft.Extensions.DependencyInjection;

namespace RefineWeb.Tests;

public sealed class HealthTests : IDisposable
{
    readonly string model = Directory.CreateTempSubdirectory("refineweb-web-").FullName;

    public HealthTests()
    {
        RefineWeb.Engine.Runtime.TorchRuntime.Initialize();
        CascadeBlueprint.Write(model, WordTokenizer.BuildVocabulary(["red heart"]), CascadePreset.Tiny);
    }

    public void Dispose() => Directory.Delete(model, recursive: true);

    static async Task<(HttpStatusCode Status, JsonElement Body)> GetHealth(string modelDirectory)
    {
        await using var factory = new RefineWebFactory(modelDirectory);
        var client = factory.CreateClient();
        await factory.Services.GetRequiredService<ModelHost>().Loaded;
        using var response = await client.GetAsync("/healthz");
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
    }

    [Fact]
    public async Task Healthz_is_healthy_when_every_model_file_is_there()
    {
        var (status, body) = await GetHealth(model);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Contains("base -> refiner32 -> refiner64", body.GetProperty("checks").GetProperty("model").GetProperty("description").GetString());
    }

    [Fact]
    public async Task Healthz_is_unhealthy_and_names_the_missing_weights()
    {
        File.Delete(Path.Combine(model, "refiner32.safetensors"));
        var (status, body) = await GetHealth(model);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        var description = body.GetProperty("checks").GetProperty("model").GetProperty("description").GetString();
        Assert.Contains("refiner32.safetensors", description);
        Assert.Contains("refineweb train", description);
    }

    [Fact]
    public async Task Home_page_explains_a_missing_model_and_serves_top_level_static_files()
    {
        await using var factory = new RefineWebFactory(Path.Combine(model, "nowhere"));
        var client = factory.CreateClient();
        var html = await client.GetStringAsync("/");
        Assert.Contains("The model is not available", html);
        Assert.Contains("cascade.json is missing", html);
        var css = await client.GetStringAsync("/css/app.css");
        Assert.Contains("image-rendering: pixelated", css);
        using var mud = await client.GetAsync("/_content/MudBlazor/MudBlazor.min.css");
        Assert.Equal(HttpStatusCode.OK, mud.StatusCode);
    }
}
