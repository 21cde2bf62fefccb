using System.Diagnostics;
using Microsoft.Extensions.Options;
using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Cascade;

namespace RefineWeb.Generation;

/// <summary>
/// The engine: the one thread that touches the model. Loads it, then takes jobs off the queue; jobs waiting with the
/// same settings (steps, guidance, stages) are batched into one forward pass (dynamic batching), each keeping its
/// own prompt, seeds and cancellation. Every step's image estimates leave this thread as plain RGB frames; the
/// <see cref="EventPublisher"/> encodes and delivers them, so the denoising loop never waits on encoding or clients.
/// </summary>
public sealed class GenerationWorker(GenerationQueue queue, EventPublisher publisher, ModelHost models, GenerationMetrics metrics,
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
        foreach (var job in batch) publisher.Post(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Running, BatchJobs = batch.Count });

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
                // Frames only when someone watches (a job polled over the API has nobody to show them to).
                var frames = batch.Any(job => job.HasListeners) ? ImageTensor.ToRgbBatch(preview.PredictedImages) : null;
                int row = 0;
                foreach (var job in batch)
                {
                    int first = row;
                    row += job.Seeds.Count;
                    if (job.CancellationToken.IsCancellationRequested) continue;
                    var update = new GenerationEvent
                    {
                        JobId = job.Id, Status = GenerationStatus.Running, BatchJobs = batch.Count, StageIndex = preview.StageIndex,
                        StageCount = preview.StageCount, StageName = preview.StageName, Resolution = preview.Resolution, Step = preview.Step,
                        TotalSteps = preview.TotalSteps, Progress = progress,
                    };
                    if (frames is not null && job.HasListeners) publisher.PostPreview(job, update, frames[first..row]);
                    else publisher.Post(job, update);
                }
            }, everyoneCancelled.Token);

            var finished = ImageTensor.ToRgbBatch(result);
            int offset = 0;
            foreach (var job in batch)
            {
                int first = offset;
                offset += job.Seeds.Count;
                if (job.CancellationToken.IsCancellationRequested)
                    publisher.Post(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Cancelled });
                else
                    publisher.PostFinished(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Succeeded, Progress = 1 }, finished[first..offset]);
            }
            logger.LogInformation("Generated {Images} images for {Jobs} jobs in {Milliseconds:F0} ms", items.Count, batch.Count, clock.Elapsed.TotalMilliseconds);
        }
        catch (OperationCanceledException)
        {
            foreach (var job in batch) publisher.Post(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Cancelled });
        }
        catch (Exception e) when (batch.Count > 1)
        {
            // One bad request must not take its batch-mates down: run each alone, so only the culprit fails.
            logger.LogWarning(e, "A batch of {Jobs} jobs failed; running them one by one", batch.Count);
            foreach (var registration in registrations) registration.Dispose();
            foreach (var job in batch) RunBatch(model, [job]);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Generation {Job} failed", batch[0].Id);
            foreach (var job in batch) publisher.Post(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Failed, Error = "The engine failed on this request: " + e.Message });
        }
        finally
        {
            foreach (var registration in registrations) registration.Dispose();
        }
    }
}
