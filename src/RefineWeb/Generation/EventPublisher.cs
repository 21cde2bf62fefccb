using System.Collections.Concurrent;
using System.Threading.Channels;
using RefineWeb.Engine.Imaging;
using RefineWeb.Gallery;

namespace RefineWeb.Generation;

/// <summary>
/// Encodes previews and finished images off the engine thread and publishes every job's events in the order the
/// engine produced them (one consumer). The engine hands over plain RGB frames and never waits. When encoding falls
/// behind, only the newest pending preview of each job's stage keeps its frames (older ones give theirs up as soon as
/// a newer one arrives, so frames waiting in memory are bounded by jobs x stages); older steps still go out, without
/// images, so progress stays exact. Every stage a watcher's job went through thus reaches the page at least once,
/// and finished images are never dropped. Finished images are stored concurrently with the publishing of other
/// jobs' events, so a slow database delays only the job being stored. A failure in one event (encoding, storing,
/// a listener) fails that job with a plain message and the publisher goes on with the rest.
/// </summary>
public sealed class EventPublisher : IDisposable
{
    /// <summary>One event to publish; <see cref="Frames"/> become previews, or stored images when <see cref="Store"/>.</summary>
    sealed class Work(GenerationJob job, GenerationEvent update, IReadOnlyList<RgbImage>? frames, ImageLineage? store, IReadOnlyList<ImageParameters>? parameters = null)
    {
        public GenerationJob Job { get; } = job;
        public GenerationEvent Event { get; } = update;
        /// <summary>Null once a newer preview of the same job and stage superseded this one.</summary>
        public IReadOnlyList<RgbImage>? Frames { get; set; } = frames;
        public ImageLineage? Store { get; } = store;
        public IReadOnlyList<ImageParameters>? Parameters { get; } = parameters;
    }

    readonly Channel<Work> channel = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    readonly ConcurrentDictionary<(GenerationJob Job, int? Stage), Work> newestPreview = new();
    readonly ConcurrentDictionary<Task, bool> storing = new();
    readonly ImageStore images;
    readonly GenerationMetrics metrics;
    readonly ILogger<EventPublisher> log;
    readonly Task consumer;

    public EventPublisher(ImageStore images, GenerationMetrics metrics, ILogger<EventPublisher> log)
    {
        this.images = images;
        this.log = log;
        this.metrics = metrics;
        consumer = Task.Run(ConsumeAsync);
    }

    /// <summary>For tests: makes encoding a preview fail or stall, as a bug or an overloaded machine would.</summary>
    internal Func<RgbImage, byte[]> EncodePreview { get; set; } = frame => frame.ToPng();

    /// <summary>Frames held for previews not yet encoded (tests, metrics).</summary>
    internal int PendingPreviewFrames => newestPreview.Values.Sum(w => w.Frames?.Count ?? 0);

    public void Post(GenerationJob job, GenerationEvent update) => channel.Writer.TryWrite(new Work(job, update, null, null));

    public void PostPreview(GenerationJob job, GenerationEvent update, IReadOnlyList<RgbImage> frames)
    {
        var work = new Work(job, update, frames, null);
        newestPreview.AddOrUpdate((job, update.StageIndex), work, (_, older) =>
        {
            if (older.Frames is { Count: > 0 } dropped) metrics.PreviewsDropped(dropped.Count);
            older.Frames = null; // superseded before it was encoded: its step goes out without a picture
            return work;
        });
        channel.Writer.TryWrite(work);
    }

    /// <summary>The job's final images: stored (with their parameters inside the PNG), then the event goes out with their ids.</summary>
    public void PostFinished(GenerationJob job, GenerationEvent update, IReadOnlyList<RgbImage> frames, ImageLineage lineage,
        IReadOnlyList<ImageParameters>? parameters = null) =>
        channel.Writer.TryWrite(new Work(job, update, frames, lineage, parameters));

    async Task ConsumeAsync()
    {
        await foreach (var work in channel.Reader.ReadAllAsync())
        {
            try
            {
                if (work.Store is not null)
                {
                    // The final event of its job: nothing of that job follows it, so storing may overlap other jobs' events.
                    var task = StoreAndPublishAsync(work);
                    storing[task] = true;
                    _ = task.ContinueWith(t => storing.TryRemove(t, out _), TaskScheduler.Default);
                    continue;
                }
                var update = work.Event;
                if (work.Frames is not null)
                {
                    newestPreview.TryRemove(KeyValuePair.Create((work.Job, work.Event.StageIndex), work));
                    if (work.Frames is { } frames && work.Job.HasListeners)
                    {
                        update = update with { Previews = [.. frames.Select(EncodePreview)] };
                        metrics.PreviewsSent(frames.Count);
                    }
                }
                work.Job.Publish(update);
                if (update.IsFinal) metrics.JobEnded(update.Status);
            }
            catch (Exception e)
            {
                log.LogError(e, "Could not publish an event of generation {JobId}", work.Job.Id);
                Fail(work.Job, "The server could not deliver this generation's progress; try again.");
            }
        }
    }

    async Task StoreAndPublishAsync(Work work)
    {
        var ids = new List<string>();
        using var span = JobTracing.Storing(work.Job);
        try
        {
            for (int i = 0; i < work.Frames!.Count; i++)
            {
                var frame = work.Frames[i];
                var parameters = work.Parameters?[i];
                var png = parameters is null ? frame.ToPng() : parameters.AddTo(frame.ToPng());
                var resultId = ImageStore.ResultId(work.Job.Id, i);
                ids.Add((await WhileDatabaseRecoversAsync(work.Job.Id,
                    () => images.AddAsync(work.Job.Owner, png, frame.Width, frame.Height, work.Store!, parameters, id: resultId))).Id);
            }
            metrics.ImagesDone(ids.Count);
            work.Job.Publish(work.Event with { ImageIds = ids });
            metrics.JobEnded(work.Event.Status);
        }
        catch (Exception e)
        {
            log.LogError(e, "Could not store the images of generation {JobId}", work.Job.Id);
            Fail(work.Job, "The finished image could not be saved to the gallery; try again later.");
        }
    }

    /// <summary>How long storing a finished image is tried again while the database (or the image folder) fails.</summary>
    internal TimeSpan StorePatience { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Stores, trying again (1 s, then up to 5 s apart) for <see cref="StorePatience"/>: a database restarting or
    /// briefly unreachable must not cost a finished job. Safe to repeat: a result's id makes a second add find the first.
    /// </summary>
    async Task<StoredImage> WhileDatabaseRecoversAsync(string jobId, Func<Task<StoredImage>> add)
    {
        var deadline = DateTime.UtcNow + StorePatience;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var stored = await add();
                if (attempt > 1) log.LogInformation("Stored generation {JobId}'s image after {Attempts} tries", jobId, attempt);
                return stored;
            }
            catch (Exception e) when (DateTime.UtcNow < deadline)
            {
                if (attempt == 1) log.LogWarning(e, "Could not store an image of generation {JobId}; trying again", jobId);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, attempt)));
            }
        }
    }

    void Fail(GenerationJob job, string message)
    {
        try
        {
            job.Publish(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Failed, Error = message });
            metrics.JobEnded(GenerationStatus.Failed);
        }
        catch (Exception)
        {
            // Nothing more can be told to this job's listeners; the others go on.
        }
    }

    public void Dispose()
    {
        channel.Writer.TryComplete();
        consumer.Wait(TimeSpan.FromSeconds(5));
        Task.WaitAll([.. storing.Keys], TimeSpan.FromSeconds(5));
    }
}
