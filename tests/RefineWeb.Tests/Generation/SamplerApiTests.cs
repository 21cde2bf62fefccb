using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using RefineWeb.Engine.Schedulers;
using RefineWeb.Generation;

namespace RefineWeb.Tests.Generation;

/// <summary>The sampler through every edge of the real host: REST, the hub in JSON and MessagePack, the PNG's settings and the gallery's record.</summary>
public sealed class SamplerApiTests : IAsyncLifetime
{
    TinyModelApp app = null!;

    public async Task InitializeAsync() => app = await TinyModelApp.StartAsync();

    public async Task DisposeAsync() => await app.DisposeAsync();

    async Task<(byte[] Png, JsonElement Info)> GenerateAsync(object body)
    {
        using var created = await app.Client.PostAsJsonAsync("/api/v1/generations", body);
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var done = await app.WaitForAsync((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        var url = done.GetProperty("images")[0].GetString()!;
        var info = await app.Client.GetFromJsonAsync<JsonElement>(url[..^".png".Length]);
        return (await app.Client.GetByteArrayAsync(url), info);
    }

    [Fact]
    public async Task Ddim_by_name_makes_another_picture_and_the_image_records_it_for_reuse()
    {
        var (byDefault, defaultInfo) = await GenerateAsync(new { prompt = "red heart", seed = 4 });
        var (named, _) = await GenerateAsync(new { prompt = "red heart", seed = 4, sampler = "dpm-solver++-2m" });
        var (ddim, ddimInfo) = await GenerateAsync(new { prompt = "red heart", seed = 4, sampler = "ddim" });

        Assert.Equal(SkiaSharp.SKBitmap.Decode(byDefault).Bytes, SkiaSharp.SKBitmap.Decode(named).Bytes); // the default is DPM-Solver++ 2M
        Assert.NotEqual(SkiaSharp.SKBitmap.Decode(byDefault).Bytes, SkiaSharp.SKBitmap.Decode(ddim).Bytes);
        Assert.Equal("dpm-solver++-2m", defaultInfo.GetProperty("parameters").GetProperty("sampler").GetString());
        Assert.Equal("ddim", ddimInfo.GetProperty("parameters").GetProperty("sampler").GetString());

        // The PNG carries it both ways image UIs read: the JSON for "reuse" and the text line.
        var (parameters, problem) = ImageParameters.Read(ddim);
        Assert.Null(problem);
        Assert.Equal(SamplerKind.Ddim, parameters!.Sampler);
        Assert.Contains("Sampler: ddim", Engine.Imaging.PngText.Read(ddim).Entries[ImageParameters.TextKey]);
    }

    [Theory]
    [InlineData("\"euler\"")]
    [InlineData("1")]
    [InlineData("\"Ddim \"")]
    public async Task An_unknown_sampler_is_a_400_naming_the_field_and_the_choices_with_nothing_queued(string value)
    {
        using var content = new StringContent($"{{\"prompt\": \"red heart\", \"sampler\": {value}}}", System.Text.Encoding.UTF8, "application/json");
        using var response = await app.Client.PostAsync("/api/v1/generations", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var detail = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString();
        Assert.Equal("The field 'sampler' must be one of \"ddim\", \"dpm-solver++-2m\".", detail);
        Assert.Equal(0, app.Service<RefineWeb.Generation.Queueing.IGenerationQueue>().Length);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_hub_takes_the_sampler_by_name_in_json_and_messagepack(bool messagePack)
    {
        await using var connection = await app.ConnectAsync(messagePack: messagePack ? HubMessagePack.Options : null);
        var input = new GenerationInput { Prompt = "red heart", Seed = 4, Sampler = SamplerKind.Ddim, Stages = 1 };
        GenerationEvent? last = null;
        await foreach (var update in connection.StreamAsync<GenerationEvent>("Generate", input)) last = update;
        Assert.Equal(GenerationStatus.Succeeded, last!.Status);
        var info = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/images/{last.ImageIds![0]}");
        Assert.Equal("ddim", info.GetProperty("parameters").GetProperty("sampler").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_hub_takes_a_layouts_regions_in_json_and_messagepack_and_the_image_records_them(bool messagePack)
    {
        await using var connection = await app.ConnectAsync(messagePack: messagePack ? HubMessagePack.Options : null);
        var input = new GenerationInput
        {
            Prompt = "hearts", Seed = 4, Stages = 1,
            Regions = [new RegionInput { Prompt = "red heart", Rect = new RegionRect { X = 0.25, Y = 0.5, Width = 0.5, Height = 0.5 } }],
        };
        GenerationEvent? last = null;
        await foreach (var update in connection.StreamAsync<GenerationEvent>("Generate", input)) last = update;
        Assert.Equal(GenerationStatus.Succeeded, last!.Status);
        var info = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/images/{last.ImageIds![0]}");
        var region = info.GetProperty("parameters").GetProperty("regions")[0];
        Assert.Equal("red heart", region.GetProperty("prompt").GetString());
        Assert.Equal((0.25, 0.5, 0.5, 0.5), (region.GetProperty("rect").GetProperty("x").GetDouble(), region.GetProperty("rect").GetProperty("y").GetDouble(),
            region.GetProperty("rect").GetProperty("width").GetDouble(), region.GetProperty("rect").GetProperty("height").GetDouble()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_hub_takes_a_painted_region_in_json_and_messagepack_and_scores_it(bool messagePack)
    {
        await using var connection = await app.ConnectAsync(messagePack: messagePack ? HubMessagePack.Options : null);
        string mask = RefineWeb.Engine.Imaging.RegionMask.ToBase64([.. Enumerable.Range(0, 32 * 32).Select(p => p % 32 < 16)], 32); // the left half
        var input = new GenerationInput { Prompt = "hearts", Seed = 4, Stages = 1, Regions = [new RegionInput { Prompt = "red heart", Mask = mask }] };
        GenerationEvent? last = null;
        await foreach (var update in connection.StreamAsync<GenerationEvent>("Generate", input)) last = update;
        Assert.Equal(GenerationStatus.Succeeded, last!.Status);
        Assert.Equal("red heart", last.Scores![0].Regions!.Single().Prompt);
        var info = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/images/{last.ImageIds![0]}");
        Assert.Equal(mask, info.GetProperty("parameters").GetProperty("regions")[0].GetProperty("mask").GetString());
    }

    [Fact]
    public async Task A_bad_region_over_the_hub_is_refused_naming_the_region_and_what_is_wrong()
    {
        await using var connection = await app.ConnectAsync();
        var input = new GenerationInput
        {
            Prompt = "hearts", Regions = [new RegionInput { Prompt = "red heart", Rect = new RegionRect { X = 0.5, Y = 0, Width = 0.75, Height = 1 } }],
        };
        var error = await Assert.ThrowsAnyAsync<Microsoft.AspNetCore.SignalR.HubException>(async () =>
        {
            await foreach (var _ in connection.StreamAsync<GenerationEvent>("Generate", input)) { }
        });
        Assert.Contains("Region 1 reaches past the right edge", error.Message); // the hub says it in words, as for every other field
    }
}
