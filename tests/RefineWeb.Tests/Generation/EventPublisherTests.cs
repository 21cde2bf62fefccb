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

public sealed class EventPublisherOutageTests
{
    static RgbImage Frame(byte value) => new(2, 2, Enumerable.Repeat(value, 12).ToArray());

    /// <summary>The gallery's image folder made unusable for a while (a file where the folder was), then restored.</summary>
    static async Task OutageAsync(string folder, TimeSpan length)
    {
        var aside = folder + ".aside";
        System.IO.Directory.CreateDirectory(folder);
        System.IO.Directory.Move(folder, aside);
        File.WriteAllText(folder, "not a folder");
        await Task.Delay(length);
        File.Delete(folder);
        System.IO.Directory.Move(aside, folder);
    }

    [Fact]
    public async Task A_finished_image_is_stored_once_the_gallery_recovers_from_an_outage()
    {
        await using var gallery = await TestGallery.CreateAsync();
        var owner = Guid.NewGuid();
        var queue = new GenerationQueue(Options.Create(new GenerationOptions()));
        using var publisher = new EventPublisher(gallery.Images, new GenerationMetrics(new TestMeters(), queue), NullLogger<EventPublisher>.Instance);
        var job = TestJobs.Of(owner, new GenerationInput { Prompt = "red heart" }, [1]);
        var listener = job.Listen(buffer: 100);
        var outage = OutageAsync(gallery.Files.Root, TimeSpan.FromSeconds(2.5)); // down when this returns

        publisher.PostFinished(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Succeeded, Progress = 1 }, [Frame(9)], new ImageLineage(ImageOrigin.Generated));
        var received = new List<GenerationEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var update in listener.ReadAllAsync(timeout.Token)) received.Add(update);
        await outage;

        var final = received[^1]; // after the "queued" a listener hears first
        Assert.True(final.Status == GenerationStatus.Succeeded, final.Error);
        var id = Assert.Single(final.ImageIds!);
        using var stored = SkiaSharp.SKBitmap.Decode(await gallery.Images.ReadPngAsync(owner, id));
        Assert.Equal(9, stored.GetPixel(0, 0).Red);
    }

    [Fact]
    public async Task An_outage_longer_than_the_patience_fails_the_job_with_a_plain_message_and_stores_nothing()
    {
        await using var gallery = await TestGallery.CreateAsync();
        var owner = Guid.NewGuid();
        var queue = new GenerationQueue(Options.Create(new GenerationOptions()));
        using var publisher = new EventPublisher(gallery.Images, new GenerationMetrics(new TestMeters(), queue), NullLogger<EventPublisher>.Instance)
        {
            StorePatience = TimeSpan.FromSeconds(1.5),
        };
        var job = TestJobs.Of(owner, new GenerationInput { Prompt = "red heart" }, [1]);
        var listener = job.Listen(buffer: 100);
        var outage = OutageAsync(gallery.Files.Root, TimeSpan.FromSeconds(6));

        publisher.PostFinished(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Succeeded, Progress = 1 }, [Frame(9)], new ImageLineage(ImageOrigin.Generated));
        var received = new List<GenerationEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var update in listener.ReadAllAsync(timeout.Token)) received.Add(update);
        await outage;

        var final = received[^1]; // after the "queued" a listener hears first
        Assert.Equal(GenerationStatus.Failed, final.Status);
        Assert.Equal("The finished image could not be saved to the gallery; try again later.", final.Error);
        Assert.Empty(await gallery.Images.ListAsync(owner));
    }
}
