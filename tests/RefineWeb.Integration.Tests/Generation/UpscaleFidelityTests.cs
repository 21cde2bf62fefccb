using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RefineWeb.Engine.Evaluation;
using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Generation;
using static TorchSharp.torch;

namespace RefineWeb.Tests.Generation;

/// <summary>
/// Prompt-guided super-resolution with the shipped model, through the upload and upscale API: twelve validation
/// images (never trained on; every 17th of the validation split, in tests/RefineWeb.Integration.Tests/Fixtures/validation),
/// box-downsampled to 16 px, taken x4 to 64 px with their captions, scored against the true 64 px image.
/// </summary>
public sealed class UpscaleFidelityTests(Xunit.Abstractions.ITestOutputHelper output)
{
    sealed record Fixture(string Image, string Caption);

    [Fact]
    public async Task Upscaling_16_px_validation_images_to_64_px_beats_bicubic_on_psnr()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "validation");
        var fixtures = File.ReadLines(Path.Combine(folder, "manifest.jsonl"))
            .Select(line => JsonSerializer.Deserialize<Fixture>(line, new JsonSerializerOptions(JsonSerializerDefaults.Web))!).ToList();
        await using var factory = new RefineWebFactory(Path.Combine(RefineWebFactory.RepositoryRoot, "models", "emoji-cascade-v1"));
        var client = factory.CreateClient();
        await factory.Services.GetRequiredService<ModelHost>().Loaded;

        double upscaledPsnr = 0, bicubicPsnr = 0;
        foreach (var (fixture, index) in fixtures.Select((f, i) => (f, i)))
        {
            // Tensors only in synchronous code: a dispose scope is per thread, and one held across an await would collect
            // the tensors of whatever else runs on that thread meanwhile (another test's model) and dispose them later.
            var truthPng = await File.ReadAllBytesAsync(Path.Combine(folder, fixture.Image));
            using var form = new MultipartFormDataContent { { new ByteArrayContent(Downsampled(truthPng, 16)), "file", "small.png" } };
            using var uploaded = await client.PostAsync("/api/v1/uploads", form);
            var imageId = (await uploaded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
            using var created = await client.PostAsJsonAsync("/api/v1/upscales", new { imageId, prompt = fixture.Caption, seed = index, factor = 4 });
            var jobId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
            JsonElement status;
            do
            {
                await Task.Delay(50);
                status = await client.GetFromJsonAsync<JsonElement>($"/api/v1/generations/{jobId}");
            } while (status.GetProperty("status").GetString() is "queued" or "running");
            Assert.Equal("succeeded", status.GetProperty("status").GetString());

            var (upscaled, bicubic) = Psnr(truthPng, await client.GetByteArrayAsync(status.GetProperty("images")[0].GetString()));
            upscaledPsnr += upscaled / fixtures.Count;
            bicubicPsnr += bicubic / fixtures.Count;
        }
        output.WriteLine($"upscaled {upscaledPsnr:F2} dB, bicubic {bicubicPsnr:F2} dB (mean of {fixtures.Count})");
        Assert.True(upscaledPsnr > bicubicPsnr, $"upscaled {upscaledPsnr:F2} dB vs bicubic {bicubicPsnr:F2} dB (mean of {fixtures.Count})");
    }

    /// <summary>The picture box-downsampled to <paramref name="side"/> px, as PNG.</summary>
    static byte[] Downsampled(byte[] png, int side)
    {
        using var scope = NewDisposeScope();
        return ImageTensor.ToPng(nn.functional.adaptive_avg_pool2d(ImageTensor.FromEncoded(png).unsqueeze(0), [side, side])[0]);
    }

    /// <summary>PSNR of the upscaled picture and of bicubic from the same 16 px picture, both against the truth.</summary>
    static (double Upscaled, double Bicubic) Psnr(byte[] truthPng, byte[] upscaledPng)
    {
        using var scope = NewDisposeScope();
        var truth = ImageTensor.FromEncoded(truthPng).unsqueeze(0);
        var small = nn.functional.adaptive_avg_pool2d(truth, [16, 16]);
        var upscaled = ImageTensor.FromEncoded(upscaledPng).unsqueeze(0);
        return (ImageQuality.Psnr(upscaled, truth), ImageQuality.Psnr(StageSampling.UpsampleForRefiner(small, 64), truth));
    }
}
