using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using RefineWeb.Generation;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Tests.Generation;

/// <summary>Several clients at once: dynamic batching, a full queue, a client that vanishes.</summary>
public sealed class GenerationConcurrencyTests
{
    /// <summary>A job long enough to keep the engine busy while a test lines others up behind it.</summary>
    static readonly object Blocker = new { prompt = "cat face", steps = new[] { 100, 100, 100 } };

    static async Task<List<GenerationEvent>> StreamAsync(HubConnection connection, GenerationInput input)
    {
        var events = new List<GenerationEvent>();
        await foreach (var update in connection.StreamAsync<GenerationEvent>("Generate", input)) events.Add(update);
        return events;
    }

    [Fact]
    public async Task Four_concurrent_clients_are_batched_and_each_gets_its_own_correct_image()
    {
        await using var app = await TinyModelApp.StartAsync();
        GenerationInput[] inputs =
        [
            new() { Prompt = "red heart", Seed = 11 }, new() { Prompt = "blue heart", Seed = 12 },
            new() { Prompt = "green apple", Seed = 13 }, new() { Prompt = "cat face", Seed = 14, NegativePrompt = "red" },
        ];

        // Alone first: the reference image of every request.
        var alone = new List<byte[]>();
        await using (var connection = await app.ConnectAsync())
            foreach (var input in inputs)
            {
                var events = await StreamAsync(connection, input);
                Assert.Equal(1, events.First(e => e.BatchJobs is not null).BatchJobs);
                alone.Add(await app.Client.GetByteArrayAsync($"/api/v1/images/{events[^1].ImageIds![0]}.png"));
            }

        // Then all four at once, lined up behind a busy engine so that they share one forward pass.
        var blocker = await app.PostAsync(Blocker);
        await app.WaitForAsync(blocker, "running");
        var connections = await Task.WhenAll(inputs.Select(_ => app.ConnectAsync()));
        var streams = inputs.Select((input, i) => StreamAsync(connections[i], input)).ToList();
        while (app.Service<GenerationQueue>().Length < inputs.Length) await Task.Delay(20);
        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.DeleteAsync($"/api/v1/generations/{blocker}")).StatusCode);
        var together = await Task.WhenAll(streams);

        var images = new List<byte[]>();
        foreach (var events in together)
        {
            Assert.Equal(GenerationStatus.Succeeded, events[^1].Status);
            Assert.Equal(inputs.Length, events.First(e => e.BatchJobs is not null).BatchJobs);
            images.Add(await app.Client.GetByteArrayAsync($"/api/v1/images/{events[^1].ImageIds![0]}.png"));
        }
        Assert.Equal(inputs.Length, images.Distinct(new ByteArrayComparer()).Count());
        for (int i = 0; i < inputs.Length; i++)
        {
            // Same prompt and seed, whatever else shares the batch: equal up to float rounding in batched kernels.
            Assert.True(PictureDifference.MaxChannel(images[i], alone[i]) <= 2, $"request {i} differs from its solo image");
        }
        foreach (var connection in connections) await connection.DisposeAsync();
    }

    [Fact]
    public async Task A_full_queue_answers_429_with_retry_after_and_queues_nothing()
    {
        await using var app = await TinyModelApp.StartAsync(new Dictionary<string, string> { ["Generation:QueueCapacity"] = "1" });
        var blocker = await app.PostAsync(Blocker);
        await app.WaitForAsync(blocker, "running");
        var waiting = await app.PostAsync(new { prompt = "red heart" });
        Assert.Equal(0, (await app.StatusAsync(waiting)).GetProperty("queuePosition").GetInt32());

        using var refused = await app.Client.PostAsJsonAsync("/api/v1/generations", new { prompt = "blue heart" });
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(1, app.Service<GenerationQueue>().Length);

        await app.Client.DeleteAsync($"/api/v1/generations/{blocker}");
        Assert.Equal("succeeded", (await app.WaitForAsync(waiting)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_generation_has_its_job_cancelled_and_others_go_on()
    {
        await using var app = await TinyModelApp.StartAsync();
        var leaver = await app.ConnectAsync();
        string? jobId = null;
        await foreach (var update in leaver.StreamAsync<GenerationEvent>("Generate", new GenerationInput { Prompt = "cat face", Steps = [100, 100, 100] }))
        {
            jobId = update.JobId;
            if (update.Step is >= 2) break; // stop listening mid-way...
        }
        await leaver.DisposeAsync(); // ...and go away

        Assert.Equal("cancelled", (await app.WaitForAsync(jobId!)).GetProperty("status").GetString());
        var next = await app.PostAsync(new { prompt = "red heart" });
        Assert.Equal("succeeded", (await app.WaitForAsync(next)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_openapi_document_describes_the_generation_api()
    {
        await using var app = await TinyModelApp.StartAsync();
        var document = await app.Client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/api/v1/generations", "/api/v1/generations/{id}", "/api/v1/images/{id}.png" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} missing from the OpenAPI document");
        Assert.True(paths.GetProperty("/api/v1/generations/{id}").TryGetProperty("delete", out _));
        // Every refusal a creating endpoint can answer is documented.
        foreach (var path in new[] { "/api/v1/generations", "/api/v1/refinements", "/api/v1/realignments", "/api/v1/upscales", "/api/v1/uploads", "/api/v1/shares" })
        {
            var responses = paths.GetProperty(path).GetProperty("post").GetProperty("responses");
            foreach (var status in new[] { "400", "403", "415", "429", "503" })
                Assert.True(responses.TryGetProperty(status, out _), $"POST {path} does not document {status}");
        }
        Assert.True(paths.GetProperty("/api/v1/uploads").GetProperty("post").GetProperty("responses").TryGetProperty("413", out _));
        // Required fields are marked as such, the rest optional.
        var schemas = document.GetProperty("components").GetProperty("schemas");
        Assert.Equal(["prompt"], schemas.GetProperty("GenerationInput").GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        // The mask is optional: a layout's regions may say what to re-refine instead.
        Assert.Equal(["parentImageId", "prompt"], schemas.GetProperty("RefinementInput").GetProperty("required").EnumerateArray().Select(e => e.GetString()).Order());
        Assert.Equal(["imageId"], schemas.GetProperty("RealignmentInput").GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.True(schemas.GetProperty("GenerationInput").GetProperty("properties").TryGetProperty("guidanceScales", out _));
    }

    sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] bytes) => bytes.Length;
    }
}
