using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using RefineWeb.Generation;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Tests.Generation;

/// <summary>The real host with a tiny seeded model: REST round trip, hub streaming, cancel, and the refusal paths.</summary>
public sealed class GenerationApiTests : IAsyncLifetime
{
    TinyModelApp app = null!;
    HttpClient client = null!;

    public async Task InitializeAsync()
    {
        app = await TinyModelApp.StartAsync();
        client = app.Client;
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    Task<JsonElement> WaitForEnd(string id) => app.WaitForAsync(id);

    [Fact]
    public async Task Post_poll_and_download_give_a_64_px_png()
    {
        var created = await client.PostAsJsonAsync("/api/v1/generations", new { prompt = "red heart", seed = 3, count = 2 });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        Assert.Equal($"/api/v1/generations/{id}", created.Headers.Location!.OriginalString);

        var done = await WaitForEnd(id);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        var urls = done.GetProperty("images").EnumerateArray().Select(u => u.GetString()!).ToList();
        Assert.Equal(2, urls.Count);
        var png = await client.GetByteArrayAsync(urls[0]);
        using var bitmap = SkiaSharp.SKBitmap.Decode(png);
        Assert.Equal((64, 64), (bitmap.Width, bitmap.Height));
        Assert.NotEqual(png, await client.GetByteArrayAsync(urls[1])); // seeds 3 and 4
    }

    [Fact]
    public async Task A_layout_runs_and_its_png_records_the_regions_so_reusing_it_gives_the_same_picture()
    {
        var regions = new[]
        {
            new { prompt = "red heart", rect = new { x = 0.0, y = 0.0, width = 0.5, height = 1.0 } },
            new { prompt = "blue heart", rect = new { x = 0.5, y = 0.0, width = 0.5, height = 1.0 } },
        };
        var created = await client.PostAsJsonAsync("/api/v1/generations", new { prompt = "hearts", seed = 11, regions });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var done = await WaitForEnd((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        var png = await client.GetByteArrayAsync(done.GetProperty("images")[0].GetString()!);

        var (entries, _) = RefineWeb.Engine.Imaging.PngText.Read(png);
        Assert.Contains("Regions: red heart @ 0,0 0.5x1; blue heart @ 0.5,0 0.5x1", entries["parameters"]);
        var saved = RefineWeb.Contracts.ImageParameters.FromJson(entries["refineweb"])!;
        Assert.Equal(["red heart", "blue heart"], saved.Regions!.Select(r => r.Prompt));
        Assert.Equal(0.5, saved.Regions![1].Rect!.X);
        // Each image is scored per region, in the layout's order.
        Assert.Equal(["red heart", "blue heart"], done.GetProperty("scores")[0].GetProperty("regions").EnumerateArray().Select(r => r.GetProperty("prompt").GetString()));

        // The saved settings, sent again, make the same bytes; without the regions, other bytes.
        var again = await client.PostAsJsonAsync("/api/v1/generations", new { prompt = "hearts", seed = 11, regions });
        var redone = await WaitForEnd((await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        Assert.Equal(png, await client.GetByteArrayAsync(redone.GetProperty("images")[0].GetString()!));
        var plain = await client.PostAsJsonAsync("/api/v1/generations", new { prompt = "hearts", seed = 11 });
        var unlaid = await WaitForEnd((await plain.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        Assert.NotEqual(png, await client.GetByteArrayAsync(unlaid.GetProperty("images")[0].GetString()!));
    }

    [Fact]
    public async Task A_painted_region_runs_and_its_mask_is_kept_with_the_image_byte_for_byte()
    {
        // The left third painted white on a transparent 64 px canvas.
        var pixels = new byte[64 * 64 * 4];
        for (int p = 0; p < 64 * 64; p++)
            if (p % 64 < 21) pixels[4 * p] = pixels[4 * p + 1] = pixels[4 * p + 2] = pixels[4 * p + 3] = 255;
        using var bitmap = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(64, 64, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Unpremul));
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var encoded = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        string mask = Convert.ToBase64String(encoded.ToArray());

        var created = await client.PostAsJsonAsync("/api/v1/generations", new { prompt = "hearts", seed = 11, regions = new[] { new { prompt = "red heart", mask, negativePrompt = "blue" } } });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var done = await WaitForEnd((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        var (entries, _) = RefineWeb.Engine.Imaging.PngText.Read(await client.GetByteArrayAsync(done.GetProperty("images")[0].GetString()!));
        Assert.Contains("Regions: red heart (not blue) @ painted mask", entries["parameters"]);
        var saved = RefineWeb.Contracts.ImageParameters.FromJson(entries["refineweb"])!.Regions!.Single();
        Assert.Equal(mask, saved.Mask);
        Assert.Equal("blue", saved.NegativePrompt);
        Assert.Null(saved.Rect);
        Assert.Equal(21 / 64.0, saved.Bounds()!.Width, 6);
    }

    [Fact]
    public async Task Emphasized_candidates_come_back_scored_and_ranked_by_prompt_and_phrase()
    {
        var created = await client.PostAsJsonAsync("/api/v1/generations", new { prompt = "(red:1.5) heart", seed = 5, count = 3 });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var done = await WaitForEnd((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());

        var scores = done.GetProperty("scores").EnumerateArray().ToList();
        Assert.Equal(3, scores.Count);
        Assert.Equal([1, 2, 3], scores.Select(s => s.GetProperty("rank").GetInt32()).Order());
        var combined = scores.Select(s =>
        {
            var phrase = Assert.Single(s.GetProperty("phrases").EnumerateArray());
            Assert.Equal(("red", 1.5), (phrase.GetProperty("text").GetString(), phrase.GetProperty("weight").GetDouble()));
            double prompt = s.GetProperty("prompt").GetDouble(), red = phrase.GetProperty("score").GetDouble();
            Assert.InRange(prompt, -1, 1);
            return (Rank: s.GetProperty("rank").GetInt32(), Combined: prompt + 0.5 * red);
        }).OrderBy(x => x.Rank).ToList();
        // Rank 1 has the best prompt-plus-emphasis score.
        Assert.True(combined.Zip(combined.Skip(1)).All(p => p.First.Combined >= p.Second.Combined - 1e-3), string.Join(", ", combined));
    }

    [Theory]
    [InlineData("""{"prompt":""}""", "prompt")]
    [InlineData("""{"prompt":"red heart","count":9}""", "count")]
    [InlineData("""{"prompt":"red heart","steps":[0]}""", "steps")]
    [InlineData("""{"prompt":"red heart","guidanceScale":99}""", "guidanceScale")]
    [InlineData("""{"prompt":"red heart","stages":4}""", "stages")]
    [InlineData("""{"prompt":"(blue heart"}""", "prompt")]
    [InlineData("""{"prompt":"hearts","regions":[{"prompt":"red heart","rect":{"x":1.2,"y":0,"width":0.5,"height":1}}]}""", "regions[0].rect.x")]
    [InlineData("""{"prompt":"hearts","regions":[{"prompt":"red heart","rect":{"x":0,"y":0,"width":0.5,"height":1}},{"prompt":"blue heart","rect":{"x":0.6,"y":0,"width":0.5,"height":1}}]}""", "regions[1].rect.width")]
    [InlineData("""{"prompt":"hearts","regions":[{"prompt":"red heart","rect":{"x":0,"y":0,"width":0,"height":1}}]}""", "regions[0].rect.width")]
    [InlineData("""{"prompt":"hearts","regions":[{"prompt":"red heart"}]}""", "regions[0].rect")]
    [InlineData("""{"prompt":"hearts","regions":[{"prompt":"red heart","weight":2.5,"rect":{"x":0,"y":0,"width":1,"height":1}}]}""", "regions[0].weight")]
    [InlineData("""{"prompt":"hearts","regions":[{"prompt":"red heart","weight":0,"rect":{"x":0,"y":0,"width":1,"height":1}}]}""", "regions[0].weight")]
    [InlineData("""{"prompt":"hearts","regions":[{"prompt":"red heart","negativePrompt":"blue\u0007","rect":{"x":0,"y":0,"width":1,"height":1}}]}""", "regions[0].negativePrompt")]
    [InlineData("""{"prompt":"hearts","regions":[{"prompt":" ","rect":{"x":0,"y":0,"width":1,"height":1}}]}""", "regions[0].prompt")]
    [InlineData("""{"prompt":"hearts","regions":[{"prompt":"(red:2 heart","rect":{"x":0,"y":0,"width":1,"height":1}}]}""", "regions[0].prompt")]
    [InlineData("""{"prompt":"(hearts:2","regions":[{"prompt":"red heart","rect":{"x":0,"y":0,"width":1,"height":1}}]}""", "prompt")]
    [InlineData("""{"prompt":"hearts","regions":[{"prompt":"a","rect":{"x":0,"y":0,"width":1,"height":1}},{"prompt":"a","rect":{"x":0,"y":0,"width":1,"height":1}},{"prompt":"a","rect":{"x":0,"y":0,"width":1,"height":1}},{"prompt":"a","rect":{"x":0,"y":0,"width":1,"height":1}},{"prompt":"a","rect":{"x":0,"y":0,"width":1,"height":1}},{"prompt":"a","rect":{"x":0,"y":0,"width":1,"height":1}},{"prompt":"a","rect":{"x":0,"y":0,"width":1,"height":1}},{"prompt":"a","rect":{"x":0,"y":0,"width":1,"height":1}},{"prompt":"a","rect":{"x":0,"y":0,"width":1,"height":1}}]}""", "regions")]
    public async Task Invalid_fields_get_a_validation_problem_and_queue_nothing(string body, string field)
    {
        var queue = app.Service<GenerationQueue>();
        using var response = await client.PostAsync("/api/v1/generations", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(0, queue.Length);
    }

    [Theory]
    [InlineData("not base64!", "not base64")]
    [InlineData("aGVsbG8=", "not a PNG")] // "hello"
    [InlineData("wide", "must be square")]
    [InlineData("small", "must be square, 16 to 1024")]
    [InlineData("black", "no white pixel")]
    [InlineData("truncated", "truncated or damaged")]
    [InlineData("both", "both a rect and a mask")]
    public async Task A_bad_painted_region_gets_a_problem_under_its_mask_and_queues_nothing(string mask, string message)
    {
        static string Png(int width, int height, bool white) =>
            Convert.ToBase64String(new Engine.Imaging.RgbImage(width, height, Enumerable.Repeat(white ? (byte)255 : (byte)0, width * height * 3).ToArray()).ToPng());
        var whole = Png(64, 64, white: true);
        // Noise compresses badly, so half the file cuts its pixel data in the middle.
        var noise = new Engine.Imaging.RgbImage(64, 64, [.. Enumerable.Range(0, 64 * 64 * 3).Select(i => (byte)(i * 7919 % 251))]).ToPng();
        object region = mask switch
        {
            "wide" => new { prompt = "red heart", mask = Png(128, 64, white: true) },
            "small" => new { prompt = "red heart", mask = Png(8, 8, white: true) },
            "black" => new { prompt = "red heart", mask = Png(64, 64, white: false) },
            "truncated" => new { prompt = "red heart", mask = Convert.ToBase64String(noise[..(noise.Length / 2)]) },
            "both" => new { prompt = "red heart", mask = whole, rect = new { x = 0, y = 0, width = 1, height = 1 } },
            _ => new { prompt = "red heart", mask },
        };
        var queue = app.Service<GenerationQueue>();
        using var response = await client.PostAsJsonAsync("/api/v1/generations", new { prompt = "hearts", regions = new[] { new { prompt = "sun", rect = new { x = 0, y = 0, width = 0.5, height = 0.5 } }, region } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("regions[1].mask", out var errors), problem.ToString());
        Assert.Contains(message, errors[0].GetString());
        Assert.Contains("Region 2", errors[0].GetString());
        Assert.Equal(0, queue.Length);
    }

    [Fact]
    public async Task Unknown_fields_and_malformed_json_are_refused()
    {
        foreach (var body in new[] { """{"prompt":"red heart","steps_typo":3}""", """{"prompt":""" })
        {
            using var response = await client.PostAsync("/api/v1/generations", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        }
    }

    [Fact]
    public async Task Unknown_ids_are_404_problems()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/generations/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync("/api/v1/generations/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/images/nope.png")).StatusCode);
    }

    [Fact]
    public async Task Delete_cancels_a_generation()
    {
        var created = await client.PostAsJsonAsync("/api/v1/generations", new { prompt = "blue heart", steps = new[] { 100, 100, 100 } });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.Accepted, (await client.DeleteAsync($"/api/v1/generations/{id}")).StatusCode);
        var done = await WaitForEnd(id);
        Assert.Equal("cancelled", done.GetProperty("status").GetString());
        Assert.Empty(done.GetProperty("images").EnumerateArray());
        // Where it stopped, not back to zero (zero only when it never started).
        if (done.GetProperty("stageName").ValueKind == JsonValueKind.String)
        {
            Assert.InRange(done.GetProperty("progress").GetDouble(), 0.0001, 1);
            Assert.InRange(done.GetProperty("step").GetInt32(), 1, 100);
        }
        else Assert.Equal(0, done.GetProperty("progress").GetDouble());
    }

    [Fact]
    public async Task A_job_cancelled_while_running_reports_the_progress_it_reached()
    {
        var created = await client.PostAsJsonAsync("/api/v1/generations", new { prompt = "blue heart", steps = new[] { 100, 100, 100 } });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement status;
        do status = await client.GetFromJsonAsync<JsonElement>($"/api/v1/generations/{id}");
        while (status.GetProperty("step").ValueKind != JsonValueKind.Number && DateTime.UtcNow < deadline && await Task.Delay(20).ContinueWith(_ => true));
        Assert.Equal(JsonValueKind.Number, status.GetProperty("step").ValueKind);
        await client.DeleteAsync($"/api/v1/generations/{id}");
        var done = await WaitForEnd(id);
        Assert.Equal("cancelled", done.GetProperty("status").GetString());
        Assert.InRange(done.GetProperty("progress").GetDouble(), 0.0001, 0.9999);
        // Which stage it reached depends on the machine: on a loaded one the tiny base's 100 steps can end before the cancel lands.
        Assert.Contains(done.GetProperty("stageName").GetString(), new[] { "base", "refiner32", "refiner64" });
    }

    [Fact]
    public async Task A_signalr_client_receives_every_stage_s_steps_in_order_then_the_final_image()
    {
        await using var connection = await app.ConnectAsync();
        var events = new List<GenerationEvent>();
        await foreach (var update in connection.StreamAsync<GenerationEvent>("Generate", new GenerationInput { Prompt = "red heart", Seed = 5, Steps = [4, 3, 3] }))
            events.Add(update);

        var steps = events.Where(e => e.Step is not null).Select(e => (e.StageIndex!.Value, e.Step!.Value)).ToList();
        Assert.Equal([(0, 1), (0, 2), (0, 3), (0, 4), (1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)], steps);
        // Previews of lagging steps may be dropped (never the step events themselves); those that come match their stage.
        var previews = events.Where(e => e.Previews is not null).ToList();
        Assert.NotEmpty(previews);
        Assert.All(previews, e => Assert.Equal(e.Resolution, SkiaSharp.SKBitmap.Decode(e.Previews![0]).Width));
        Assert.Equal(GenerationStatus.Succeeded, events[^1].Status);
        Assert.Single(events[^1].ImageIds!);
        Assert.True(events.Select(e => e.Progress).Zip(events.Select(e => e.Progress).Skip(1)).All(p => p.First <= p.Second), "progress never goes back");
        // The engine measured every stage at start-up: even the first job tells its time left from its first step on.
        Assert.All(events.Where(e => e.Step is not null), e => Assert.NotNull(e.SecondsLeft));

        // The next job says how long it has left at every step, less and less; after the last only the finishing (scoring, storing) remains.
        var again = new List<GenerationEvent>();
        await foreach (var update in connection.StreamAsync<GenerationEvent>("Generate", new GenerationInput { Prompt = "red heart", Seed = 6, Steps = [4, 3, 3] }))
            again.Add(update);
        var running = again.Where(e => e.Step is not null).ToList();
        Assert.All(running, e => Assert.True(e.SecondsLeft >= 0, $"step {e.StageIndex}/{e.Step}: {e.SecondsLeft}"));
        Assert.True(running[0].SecondsLeft > running[^1].SecondsLeft, $"{running[0].SecondsLeft} then {running[^1].SecondsLeft}");
        Assert.True(running.Select(e => e.SecondsLeft!.Value).Zip(running.Skip(1).Select(e => e.SecondsLeft!.Value)).Count(p => p.Second > p.First + 0.05) <= 1,
            "the time left keeps going down (one re-measured step may nudge it)");
        Assert.InRange(running[^1].Progress, 0.5, 1.0); // the bar leaves the finishing's share for the end...
        Assert.Equal(1.0, again[^1].Progress, 10); // ...and is full once the images are there
    }

    [Fact]
    public async Task Words_the_model_does_not_know_come_back_as_warnings_on_the_status_and_every_hub_event()
    {
        await client.GetAsync("/api/v1/gallery"); // the session exists: its first answer would also say "new session"
        var created = await client.PostAsJsonAsync("/api/v1/generations", new { prompt = "(red:1.2) hearts on a hill", seed = 3, negativePrompt = "cat fase" });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var warnings = body.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()).ToList();
        Assert.Equal([
            "'hearts' is not a word the model knows, so it is ignored; did you mean 'heart'?",
            "'on' is not a word the model knows, so it is ignored; no word it knows is close in meaning or spelling.",
            "'a' is not a word the model knows, so it is ignored; no word it knows is close in meaning or spelling.",
            "'hill' is not a word the model knows, so it is ignored; close in meaning: 'apple', 'heart'.",
            "Negative prompt: 'fase' is not a word the model knows, so it is ignored; did you mean 'face'?"], warnings);
        var done = await WaitForEnd(body.GetProperty("id").GetString()!);
        Assert.Equal("succeeded", done.GetProperty("status").GetString()); // said, not refused
        Assert.Equal(warnings, done.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()));

        var known = await client.PostAsJsonAsync("/api/v1/generations", new { prompt = "red heart", seed = 3 });
        Assert.Empty((await known.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("warnings").EnumerateArray());

        await using var connection = await app.ConnectAsync();
        var events = new List<GenerationEvent>();
        await foreach (var update in connection.StreamAsync<GenerationEvent>("Generate", new GenerationInput { Prompt = "blue hart", Seed = 5, Steps = [2, 1, 1] }))
            events.Add(update);
        Assert.Equal(GenerationStatus.Succeeded, events[^1].Status);
        Assert.All(events, e => Assert.Equal(["'hart' is not a word the model knows, so it is ignored; did you mean 'heart'?"], e.Warnings!));
    }

    [Fact]
    public async Task Over_messagepack_the_hub_reads_and_writes_the_same_camel_case_names_as_json_and_refuses_unknown_fields()
    {
        // A client that knows nothing of this app's types: plain maps with the documented names, as a JavaScript client sends.
        var plain = MessagePack.MessagePackSerializerOptions.Standard.WithResolver(MessagePack.Resolvers.ContractlessStandardResolver.Instance);
        await using var untyped = await app.ConnectAsync(messagePack: plain);
        var maps = new List<Dictionary<object, object?>>();
        await foreach (var update in untyped.StreamAsync<Dictionary<object, object?>>("Generate", new Dictionary<string, object> { ["prompt"] = "red heart", ["seed"] = 5, ["steps"] = new[] { 2, 1, 1 } }))
            maps.Add(update);
        Assert.All(maps, m => Assert.All(m.Keys, k => Assert.True(char.IsLower(((string)k)[0]), $"field '{k}' is not camelCase")));
        Assert.Equal("queued", maps[0]["status"]);
        var final = maps[^1];
        Assert.Equal("succeeded", final["status"]);
        Assert.Single((object[])final["imageIds"]!);
        var preview = maps.First(m => m["previews"] is object[]);
        Assert.IsType<byte[]>(((object[])preview["previews"]!)[0]); // binary, not base64 text

        // The same app's types over the same protocol, for .NET clients.
        await using var typed = await app.ConnectAsync(messagePack: HubMessagePack.Options);
        var events = new List<GenerationEvent>();
        await foreach (var update in typed.StreamAsync<GenerationEvent>("Generate", new GenerationInput { Prompt = "blue heart", Seed = 5, Steps = [2, 1, 1] }))
            events.Add(update);
        Assert.Equal(GenerationStatus.Succeeded, events[^1].Status);
        Assert.Contains(events, e => e.Step == 1 && e.StageName == "base");

        var typo = await Assert.ThrowsAnyAsync<HubException>(async () =>
        {
            await foreach (var _ in untyped.StreamAsync<Dictionary<object, object?>>("Generate", new Dictionary<string, object> { ["prompt"] = "red heart", ["seeed"] = 3 })) { }
        });
        Assert.Contains("Generate", typo.Message);
        var known = app.Service<GenerationQueue>().Known;
        Assert.Equal(2, known); // the two good requests only
    }
}
