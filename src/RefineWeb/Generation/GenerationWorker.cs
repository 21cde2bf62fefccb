using System.Diagnostics;
using Microsoft.Extensions.Options;
using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Cascade;

namespace RefineWeb.Generation;

/// <summary>
/// The engine: the one thread that touches the model. Loads it, then takes jobs off the queue; jobs waiting with the
/// same settings (steps, guidance, stages) are batched into one forward pass (dynamic batching), each keeping its
/// own prompt, seeds and cancellation. Every step's image estimates go out as PNG previews to the job's listeners.
/// </summary>
public sealed class GenerationWorker(GenerationQueue queue, ImageStore images, ModelHost models, GenerationMetrics metrics,
    IOptions<GenerationOptions> options, ILogger<GenerationWorker> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    void Run(CancellationToken stopping)
    {
        var model = models.Load();
        var pending = new List<GenerationJob>();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (pending.Count == 0 && !queue.Reader.WaitToReadAsync(stopping).AsTask().GetAwaiter().GetResult()) return;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            while (queue.Reader.TryRead(out var job)) pending.Add(job);

            foreach (var cancelled in pending.Where(j => j.CancellationToken.IsCancellationRequested).ToList())
            {
                pending.Remove(cancelled);
                queue.Started([cancelled]);
                cancelled.Publish(new GenerationEvent { JobId = cancelled.Id, Status = GenerationStatus.Cancelled });
            }
            if (pending.Count == 0) continue;

            var batch = TakeBatch(pending, options.Value.MaxBatchImages);
            queue.Started(batch);
            if (model is null)
            {
                foreach (var job in batch) job.Publish(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Failed, Error = models.LoadError });
                continue;
            }
            RunBatch(model, batch);
        }
    }

    /// <summary>The oldest job, plus later ones with the same settings while the images fit in one batch.</summary>
    internal static List<GenerationJob> TakeBatch(List<GenerationJob> pending, int maxImages)
    {
        var head = pending[0];
        var batch = new List<GenerationJob> { head };
        int count = head.Seeds.Count;
        foreach (var job in pending.Skip(1))
            if (SameSettings(head.Input, job.Input) && count + job.Seeds.Count <= maxImages)
            {
                batch.Add(job);
                count += job.Seeds.Count;
            }
        pending.RemoveAll(batch.Contains);
        return batch;
    }

    static bool SameSettings(GenerationInput a, GenerationInput b) =>
        a.GuidanceScale == b.GuidanceScale && a.Stages == b.Stages && (a.Steps ?? []).SequenceEqual(b.Steps ?? []);

    void RunBatch(CascadeModel model, List<GenerationJob> batch)
    {
        var items = batch.SelectMany(job => job.Seeds.Select(seed => (Job: job, Seed: seed))).ToList();
        var settings = batch[0].Input;
        var request = new CascadeRequest
        {
            Prompt = settings.Prompt,
            ItemPrompts = [.. items.Select(i => i.Job.Input.Prompt)],
            ItemNegativePrompts = [.. items.Select(i => i.Job.Input.NegativePrompt ?? "")],
            Seeds = [.. items.Select(i => i.Seed)],
            StepsPerStage = settings.Steps,
            GuidanceScale = settings.GuidanceScale,
            StageCount = settings.Stages,
        };
        // The batch stops only when every job in it is cancelled; a cancelled job alone just stops hearing about it.
        using var everyoneCancelled = new CancellationTokenSource();
        var registrations = batch.Select(job => job.CancellationToken.Register(() =>
        {
            if (batch.All(j => j.CancellationToken.IsCancellationRequested)) everyoneCancelled.Cancel();
        })).ToList();
        foreach (var job in batch) job.Publish(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Running, BatchJobs = batch.Count });

        var clock = Stopwatch.StartNew();
        double lastStep = 0;
        try
        {
            using var result = new CascadePipeline(model).Generate(request, preview =>
            {
                double now = clock.Elapsed.TotalMilliseconds;
                metrics.Step(preview.StageName, now - lastStep);
                lastStep = now;
                double progress = (preview.StageIndex + (double)preview.Step / preview.TotalSteps) / preview.StageCount;
                int row = 0;
                foreach (var job in batch)
                {
                    int first = row;
                    row += job.Seeds.Count;
                    if (job.CancellationToken.IsCancellationRequested) continue;
                    // A job polled over the API has nobody to show previews to: skip the encoding, keep the progress.
                    var previews = job.HasListeners
                        ? Enumerable.Range(first, job.Seeds.Count).Select(r => ImageTensor.ToPng(preview.PredictedImages[r])).ToList()
                        : null;
                    job.Publish(new GenerationEvent
                    {
                        JobId = job.Id, Status = GenerationStatus.Running, BatchJobs = batch.Count, StageIndex = preview.StageIndex, StageCount = preview.StageCount,
                        StageName = preview.StageName, Resolution = preview.Resolution, Step = preview.Step, TotalSteps = preview.TotalSteps,
                        Progress = progress, Previews = previews,
                    });
                }
            }, everyoneCancelled.Token);

            int offset = 0;
            foreach (var job in batch)
            {
                int first = offset;
                offset += job.Seeds.Count;
                if (job.CancellationToken.IsCancellationRequested)
                {
                    job.Publish(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Cancelled });
                    continue;
                }
                var ids = Enumerable.Range(first, job.Seeds.Count).Select(r => images.Add(ImageTensor.ToPng(result[r]))).ToList();
                job.Publish(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Succeeded, Progress = 1, ImageIds = ids });
            }
            metrics.ImagesDone(items.Count);
            logger.LogInformation("Generated {Images} images for {Jobs} jobs in {Milliseconds:F0} ms", items.Count, batch.Count, clock.Elapsed.TotalMilliseconds);
        }
        catch (OperationCanceledException)
        {
            foreach (var job in batch) job.Publish(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Cancelled });
        }
        catch (Exception e)
        {
            logger.LogError(e, "A batch of {Jobs} jobs failed", batch.Count);
            foreach (var job in batch) job.Publish(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Failed, Error = "The engine failed on this request: " + e.Message });
        }
        finally
        {
            foreach (var registration in registrations) registration.Dispose();
        }
    }
}
