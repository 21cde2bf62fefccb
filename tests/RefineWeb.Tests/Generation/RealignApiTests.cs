using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using RefineWeb.Generation;
using RefineWeb.Generation.Queueing;
using RefineWeb.Tests.Security;
using SkiaSharp;

namespace RefineWeb.Tests.Generation;

/// <summary>Re-alignment over the REST API and the hub on the real host: the phrase account, the lineage, the bytes, and every refusal.</summary>
public sealed class RealignApiTests : IAsyncLifetime
{
    TinyModelApp app = null!;

    public async Task InitializeAsync() => app = await TinyModelApp.StartAsync();
    public async Task DisposeAsync() => await app.DisposeAsync();

    async Task<string> GeneratedIdAsync(string prompt)
    {
        var done = await app.WaitForAsync(await app.PostAsync(new { prompt, seed = 4, steps = new[] { 4, 3, 3 } }));
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        return Path.GetFileNameWithoutExtension(done.GetProperty("images")[0].GetString()!);
    }

    Task<string> UploadedIdAsync(int side) => HostileRequests.UploadIdAsync(app.Client, HostileRequests.Png(side, side, SKColors.Green));

    [Fact]
    public async Task A_realignment_accounts_for_its_phrase_and_stores_a_realigned_child_of_the_image()
    {
        var sourceId = await GeneratedIdAsync("red heart");
        var source = await app.Client.GetByteArrayAsync($"/api/v1/images/{sourceId}.png");
        using var created = await app.Client.PostAsJsonAsync("/api/v1/realignments", new { imageId = sourceId, seed = 1 });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var job = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var done = await app.WaitForAsync(job);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());

        // The tiny model has no score calibration: every phrase counts as low and gets its three candidates.
        var phrase = Assert.Single(done.GetProperty("realignment").EnumerateArray());
        Assert.Equal("red heart", phrase.GetProperty("phrase").GetString());
        Assert.Equal(3, phrase.GetProperty("tried").GetInt32());
        bool realigned = phrase.GetProperty("realigned").GetBoolean();
        Assert.Equal(realigned, phrase.GetProperty("after").GetDouble() > phrase.GetProperty("before").GetDouble());
        Assert.Single(done.GetProperty("scores").EnumerateArray());

        var id = Path.GetFileNameWithoutExtension(done.GetProperty("images")[0].GetString()!);
        var info = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/images/{id}");
        Assert.Equal("realigned", info.GetProperty("origin").GetString());
        Assert.Equal(sourceId, info.GetProperty("parentId").GetString());
        using var before = SKBitmap.Decode(source);
        using var after = SKBitmap.Decode(await app.Client.GetByteArrayAsync(done.GetProperty("images")[0].GetString()));
        Assert.Equal((before.Width, before.Height), (after.Width, after.Height));
        // Kept only when it scored higher: an unchanged account means unchanged pixels.
        Assert.Equal(!realigned, before.Bytes.SequenceEqual(after.Bytes));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_hub_streams_every_candidates_steps_with_progress_that_never_goes_back_then_the_account(bool messagePack)
    {
        var sourceId = await GeneratedIdAsync("cat face");
        await using var connection = await app.ConnectAsync(messagePack: messagePack ? HubMessagePack.Options : null);
        var events = new List<GenerationEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await foreach (var update in connection.StreamAsync<GenerationEvent>("Realign", new RealignmentInput { ImageId = sourceId, Seed = 2 }, timeout.Token))
            events.Add(update);

        Assert.Equal(GenerationStatus.Succeeded, events[^1].Status);
        Assert.Equal("cat face", Assert.Single(events[^1].Realignment!).Phrase);
        // Three candidates, each a cascade from the base: the base's first step comes three times.
        Assert.Equal(3, events.Count(e => e is { StageIndex: 0, Step: 1 }));
        var progress = events.Select(e => e.Progress).ToList();
        Assert.True(progress.Zip(progress.Skip(1)).All(p => p.First <= p.Second), $"progress went back: {string.Join(", ", progress)}");
        Assert.True(events.Where(e => e.Step is not null).Last().Progress > 0.9);
    }

    [Theory]
    [InlineData("unknown", "imageId")]
    [InlineData("no settings", "prompt")]
    [InlineData("odd size", "imageId")]
    [InlineData("bad prompt", "prompt")]
    public async Task Bad_realignments_get_a_validation_problem_and_queue_nothing(string fault, string field)
    {
        object body = fault switch
        {
            "unknown" => new { imageId = "nope" },
            "no settings" => new { imageId = await UploadedIdAsync(64) }, // an upload carries no prompt
            "odd size" => new { imageId = await UploadedIdAsync(50), prompt = "red heart" },
            _ => new { imageId = await UploadedIdAsync(64), prompt = "red\u0001heart" },
        };
        using var response = await app.Client.PostAsJsonAsync("/api/v1/realignments", body);
        var problem = await HostileRequests.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(0, app.Service<GenerationQueue>().Length);
    }

    [Fact]
    public async Task The_hub_refuses_a_realignment_of_another_sessions_image_as_no_such_image()
    {
        var sourceId = await GeneratedIdAsync("red heart");
        var (_, stranger) = app.Factory.CreateSession();
        await using var connection = await app.ConnectAsync(stranger);
        var refusal = await Assert.ThrowsAsync<HubException>(async () =>
        {
            await foreach (var _ in connection.StreamAsync<GenerationEvent>("Realign", new RealignmentInput { ImageId = sourceId })) { }
        });
        Assert.Contains($"There is no image '{sourceId}'", refusal.Message);
        Assert.Equal(0, app.Service<GenerationQueue>().Length);
    }
}
