using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RefineWeb.Engine.Imaging;
using RefineWeb.Gallery;
using RefineWeb.Generation;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Tests.Generation;

public sealed class EventPublisherTests
{
    static RgbImage Frame(byte value) => new(2, 2, Enumerable.Repeat(value, 12).ToArray());

    [Fact]
    public async Task Events_arrive_in_order_with_the_newest_preview_encoded_and_the_final_images_stored()
    {
        await using var gallery = await TestGallery.CreateAsync();
        var owner = Guid.NewGuid();
        var queue = new GenerationQueue(Options.Create(new GenerationOptions()));
        using var publisher = new EventPublisher(gallery.Images, new GenerationMetrics(new TestMeters(), queue), NullLogger<EventPublisher>.Instance);
        var job = TestJobs.Of(owner, new GenerationInput { Prompt = "red heart" }, [1]);
        var listener = job.Listen(buffer: 1000);

        for (int step = 1; step <= 200; step++)
            publisher.PostPreview(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Running, Step = step, TotalSteps = 200 }, [Frame((byte)step)]);
        publisher.PostFinished(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Succeeded, Progress = 1 }, [Frame(7)], new ImageLineage(ImageOrigin.Generated));

        var received = new List<GenerationEvent>();
        await foreach (var update in listener.ReadAllAsync()) received.Add(update);
        var steps = received.Where(e => e.Step is not null).ToList();
        Assert.Equal(Enumerable.Range(1, 200), steps.Select(e => e.Step!.Value)); // every step, in order
        Assert.NotNull(steps[^1].Previews); // the newest frame is always shown
        using (var last = SkiaSharp.SKBitmap.Decode(steps[^1].Previews![0])) Assert.Equal(200, last.GetPixel(0, 0).Red);

        var final = received[^1];
        Assert.Equal(GenerationStatus.Succeeded, final.Status);
        var id = Assert.Single(final.ImageIds!);
        using var stored = SkiaSharp.SKBitmap.Decode(await gallery.Images.ReadPngAsync(owner, id));
        Assert.Null(await gallery.Images.ReadPngAsync(Guid.NewGuid(), id)); // in its owner's gallery only
        Assert.Equal(7, stored.GetPixel(1, 1).Green);
    }

    [Fact]
    public async Task Each_stage_keeps_its_last_preview_even_when_a_short_stage_passes_in_one_burst()
    {
        await using var gallery = await TestGallery.CreateAsync();
        var queue = new GenerationQueue(Options.Create(new GenerationOptions()));
        using var publisher = new EventPublisher(gallery.Images, new GenerationMetrics(new TestMeters(), queue), NullLogger<EventPublisher>.Instance);
        var job = TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "red heart" }, [1]);
        var listener = job.Listen(buffer: 1000);

        // A 40-step base, then two 2-step refiners: all posted faster than the encoder drains them.
        int[] stepsPerStage = [40, 2, 2];
        for (int stage = 0; stage < stepsPerStage.Length; stage++)
            for (int step = 1; step <= stepsPerStage[stage]; step++)
                publisher.PostPreview(job, new GenerationEvent
                {
                    JobId = job.Id, Status = GenerationStatus.Running, StageIndex = stage, StageCount = 3, Step = step, TotalSteps = stepsPerStage[stage],
                }, [Frame((byte)(100 * stage + step))]);
        publisher.PostFinished(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Succeeded, Progress = 1 }, [Frame(7)], new ImageLineage(ImageOrigin.Generated));

        var received = new List<GenerationEvent>();
        await foreach (var update in listener.ReadAllAsync()) received.Add(update);
        for (int stage = 0; stage < stepsPerStage.Length; stage++)
        {
            var last = received.Last(e => e.StageIndex == stage);
            Assert.Equal(stepsPerStage[stage], last.Step);
            Assert.NotNull(last.Previews);
            using var frame = SkiaSharp.SKBitmap.Decode(last.Previews![0]);
            Assert.Equal(100 * stage + stepsPerStage[stage], frame.GetPixel(0, 0).Red);
        }
    }
}
