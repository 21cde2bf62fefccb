using System.Threading.Channels;
using RefineWeb.Engine.Imaging;
using RefineWeb.Gallery;

namespace RefineWeb.Generation;

/// <summary>
/// Encodes previews and finished images off the engine thread and publishes every job's events in the order the
/// engine produced them (one consumer). The engine hands over plain RGB frames and never waits. When encoding falls
/// behind, only the newest pending preview of each job's stage is encoded; older steps still go out, without images,
/// so progress stays exact while intermediate pictures are dropped. Every stage a watcher's job went through thus
/// reaches the page at least once (a 2-step refiner would otherwise vanish on a busy server), and finished images
/// are never dropped.
/// </summary>
public sealed class EventPublisher : IDisposable
{
    /// <summary>One event to publish; <see cref="Frames"/> become previews, or stored images when <see cref="Store"/>.</summary>
    sealed record Work(GenerationJob Job, GenerationEvent Event, IReadOnlyList<RgbImage>? Frames, ImageLineage? Store, IReadOnlyList<ImageParameters>? Parameters = null);

    readonly Channel<Work> channel = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    readonly ImageStore images;
    readonly GenerationMetrics metrics;
    readonly Task consumer;

    readonly ILogger<EventPublisher> log;

    public EventPublisher(ImageStore images, GenerationMetrics metrics, ILogger<EventPublisher> log)
    {
        this.images = images;
        this.log = log;
        this.metrics = metrics;
        consumer = Task.Run(ConsumeAsync);
    }

    public void Post(GenerationJob job, GenerationEvent update) => channel.Writer.TryWrite(new Work(job, update, null, null));

    public void PostPreview(GenerationJob job, GenerationEvent update, IReadOnlyList<RgbImage> frames) =>
        channel.Writer.TryWrite(new Work(job, update, frames, null));

    /// <summary>The job's final images: stored (with their parameters inside the PNG), then the event goes out with their ids.</summary>
    public void PostFinished(GenerationJob job, GenerationEvent update, IReadOnlyList<RgbImage> frames, ImageLineage lineage,
        IReadOnlyList<ImageParameters>? parameters = null) =>
        channel.Writer.TryWrite(new Work(job, update, frames, lineage, parameters));

    async Task ConsumeAsync()
    {
        var pending = new List<Work>();
        while (await channel.Reader.WaitToReadAsync())
        {
            pending.Clear();
            while (channel.Reader.TryRead(out var work)) pending.Add(work);
            var newestPreview = new Dictionary<(GenerationJob, int?), Work>();
            foreach (var work in pending.Where(w => w.Frames is not null && w.Store is null)) newestPreview[(work.Job, work.Event.StageIndex)] = work;

            foreach (var work in pending)
            {
                var update = work.Event;
                if (work.Store is { } lineage)
                {
                    var ids = new List<string>();
                    try
                    {
                        for (int i = 0; i < work.Frames!.Count; i++)
                        {
                            var frame = work.Frames[i];
                            var parameters = work.Parameters?[i];
                            var png = parameters is null ? frame.ToPng() : parameters.AddTo(frame.ToPng());
                            ids.Add((await images.AddAsync(work.Job.Owner, png, frame.Width, frame.Height, lineage, parameters)).Id);
                        }
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        log.LogError(e, "Could not store the images of generation {JobId}", work.Job.Id);
                        work.Job.Publish(new GenerationEvent { JobId = work.Job.Id, Status = GenerationStatus.Failed, Error = "The finished image could not be saved to the gallery." });
                        continue;
                    }
                    metrics.ImagesDone(ids.Count);
                    update = update with { ImageIds = ids };
                }
                else if (work.Frames is not null && newestPreview[(work.Job, work.Event.StageIndex)] == work && work.Job.HasListeners)
                {
                    update = update with { Previews = [.. work.Frames.Select(frame => frame.ToPng())] };
                }
                work.Job.Publish(update);
            }
        }
    }

    public void Dispose()
    {
        channel.Writer.TryComplete();
        consumer.Wait(TimeSpan.FromSeconds(5));
    }
}
