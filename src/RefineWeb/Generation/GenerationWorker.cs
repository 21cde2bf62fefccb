using System.Diagnostics;
using Microsoft.Extensions.Options;
using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Pipelines.Semantic;
using RefineWeb.Engine.Text;
using RefineWeb.Gallery;
using RefineWeb.Generation.Queueing;
using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Generation;

/// <summary>
/// The engine: the one thread that touches the model. Loads it, then takes jobs off the queue; jobs waiting with the
/// same settings (steps, guidance, stages) are batched into one forward pass (dynamic batching), each keeping its
/// own prompt, seeds and cancellation. Every step's image estimates leave this thread as plain RGB frames; the
/// <see cref="EventPublisher"/> encodes and delivers them, so the denoising loop never waits on encoding or clients.
/// </summary>
public sealed class GenerationWorker(IJobSource jobs, EventPublisher publisher, ModelHost models, GenerationMetrics metrics,
    GenerationTiming timing, IOptions<GenerationOptions> options, ILogger<GenerationWorker> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    void Run(CancellationToken stopping)
    {
        var model = models.Load();
        if (model is not null) timing.UseStages(model.Stages.Select(s => (s.Config.Name, s.Config.DefaultSteps)));
        while (!stopping.IsCancellationRequested)
        {
            var batch = jobs.TakeAsync(options.Value.MaxBatchImages, stopping).GetAwaiter().GetResult();
            if (batch is null) return;
            foreach (var job in batch) job.RunningOn ??= (options.Value.ResolvedWorkerName, 1);
            UseThreadsFor(batch.Sum(job => job.Seeds.Count));
            if (model is null)
            {
                foreach (var job in batch) job.Publish(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Failed, Error = models.LoadError });
                continue;
            }
            if (batch[0].Edit is not null) RunEdit(model, batch[0], stopping);
            else RunBatch(model, [.. batch], stopping);
            timing.RunningMillisecondsLeft = 0;
            TrimNativeHeap();
        }
    }

    int threadsInUse;

    /// <summary>libtorch's threads for the next batch: <see cref="GenerationOptions.SingleImageThreads"/> for one image (fewer
    /// leave cores to the web), every core for several; never more than <see cref="GenerationOptions.Threads"/> (a worker's share).</summary>
    void UseThreadsFor(int images)
    {
        int cores = Math.Clamp(options.Value.Threads ?? Environment.ProcessorCount, 1, Environment.ProcessorCount);
        int threads = images > 1 ? cores : Math.Clamp(options.Value.SingleImageThreads ?? cores, 1, cores);
        if (threads == threadsInUse) return;
        set_num_threads(threads);
        threadsInUse = threads;
    }

    long lastTrim = Environment.TickCount64;

    /// <summary>
    /// Gives freed activations back to the system when the engine falls idle, and at most every 30 s under load:
    /// trimming after every batch kept the resident size flat but cost 15 % of the soak's throughput (the next batch
    /// faults its pages in again).
    /// </summary>
    void TrimNativeHeap()
    {
        if (jobs.Length > 0 && Environment.TickCount64 - lastTrim < 30_000) return;
        Engine.Runtime.NativeHeap.Trim();
        lastTrim = Environment.TickCount64;
    }

    /// <summary>What a client reads when the engine failed: no exception text (that goes to the log).</summary>
    const string EngineFailure = "The engine failed on this request; it has been logged. Try other settings or try again.";

    const string ShuttingDown = "The server stopped before this generation finished; submit it again.";

    void RunBatch(CascadeModel model, List<GenerationJob> batch, CancellationToken stopping)
    {
        var items = BatchRequest.Rows(batch);
        var request = BatchRequest.For(batch);
        var settings = batch[0].Input;
        // The batch stops only when every job in it is cancelled (or the host stops); a cancelled job alone just stops hearing about it.
        using var everyoneCancelled = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var registrations = batch.Select(job => job.CancellationToken.Register(() =>
        {
            if (batch.All(j => j.CancellationToken.IsCancellationRequested)) everyoneCancelled.Cancel();
        })).ToList();
        double? expected = timing.Timeline(0, settings.Stages ?? model.Stages.Count, settings.Steps)?.TotalMilliseconds;
        timing.RunningMillisecondsLeft = expected ?? 0;
        foreach (var job in batch)
            publisher.Post(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Running, BatchJobs = batch.Count, SecondsLeft = expected / 1000 });

        var clock = new BatchClock();
        try
        {
            using var result = new CascadePipeline(model).Generate(request, preview => PublishStep(batch, preview, clock), everyoneCancelled.Token);

            var finished = ImageTensor.ToRgbBatch(result);
            var scores = Score(model, result, [.. items.Select(i => i.Job.Input.Prompt)]);
            int offset = 0;
            foreach (var job in batch)
            {
                int first = offset;
                offset += job.Seeds.Count;
                if (job.CancellationToken.IsCancellationRequested)
                    publisher.Post(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Cancelled });
                else
                    publisher.PostFinished(job, new GenerationEvent
                        {
                            JobId = job.Id, Status = GenerationStatus.Succeeded, Progress = 1,
                            Scores = scores is null ? null : ImageScore.Ranked(scores[first..offset], Emphasis(job.Input.Prompt).Phrases),
                        }, finished[first..offset],
                        new ImageLineage(ImageOrigin.Generated, Prompt: job.Input.Prompt),
                        [.. job.Seeds.Select(seed => Parameters(model, job, seed, finished[first], ImageOrigin.Generated))]);
            }
            logger.LogInformation("Generated {Images} images for {Jobs} jobs in {Milliseconds:F0} ms", items.Count, batch.Count, clock.Elapsed);
        }
        catch (OperationCanceledException)
        {
            Stopped(batch, stopping);
        }
        catch (Exception e) when (batch.Count > 1)
        {
            // One bad request must not take its batch-mates down: run each alone, so only the culprit fails.
            logger.LogWarning(e, "A batch of {Jobs} jobs failed; running them one by one", batch.Count);
            foreach (var registration in registrations) registration.Dispose();
            foreach (var job in batch) RunBatch(model, [job], stopping);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Generation {Job} failed", batch[0].Id);
            foreach (var job in batch) publisher.Post(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Failed, Error = EngineFailure });
        }
        finally
        {
            foreach (var registration in registrations) registration.Dispose();
        }
    }

    /// <summary>
    /// A batch that stopped early: jobs their owners cancelled end cancelled; when the engine itself is stopping, the
    /// others go back to the queue if another engine can run them (a cluster), else they end with the reason.
    /// </summary>
    void Stopped(List<GenerationJob> batch, CancellationToken stopping)
    {
        var unfinished = batch.Where(job => !job.CancellationToken.IsCancellationRequested).ToList();
        bool handedBack = stopping.IsCancellationRequested && unfinished.Count > 0 && jobs.TryHandBack(unfinished);
        foreach (var job in batch)
            if (!handedBack || !unfinished.Contains(job))
                publisher.Post(job, new GenerationEvent
                {
                    JobId = job.Id, Status = GenerationStatus.Cancelled,
                    Error = stopping.IsCancellationRequested && unfinished.Contains(job) ? ShuttingDown : null,
                });
    }

    /// <summary>One step's progress (and, for watched jobs, its frames) for every job of a batch.</summary>
    void PublishStep(List<GenerationJob> batch, StepPreview preview, BatchClock clock)
    {
        double stepTime = clock.Step();
        metrics.Step(preview.StageName, stepTime);
        timing.RecordStep(preview.StageName, stepTime);
        // Progress and time left weigh each step by its stage's measured step time (the stages run from this one's place in the model).
        var timeline = timing.Timeline(timing.StageNumber(preview.StageName) - preview.StageIndex, preview.StageCount, batch[0].Input.Steps,
            preview.StageIndex, preview.TotalSteps);
        double progress = clock.Forward(timeline?.Progress(preview.StageIndex, preview.Step)
            ?? (preview.StageIndex + (double)preview.Step / preview.TotalSteps) / preview.StageCount);
        double? left = timeline?.MillisecondsLeft(preview.StageIndex, preview.Step);
        timing.RunningMillisecondsLeft = left ?? 0;
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
                TotalSteps = preview.TotalSteps, Progress = progress, SecondsLeft = left / 1000,
            };
            if (frames is not null && job.HasListeners) publisher.PostPreview(job, update, frames[first..row]);
            else publisher.Post(job, update);
        }
    }

    /// <summary>A refinement (masked or whole) or an upscale: one job, its own start picture, streamed like a generation.</summary>
    void RunEdit(CascadeModel model, GenerationJob job, CancellationToken stopping)
    {
        var edit = job.Edit!;
        var input = job.Input;
        publisher.Post(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Running, BatchJobs = 1 });
        var clock = new BatchClock();
        List<GenerationJob> batch = [job];
        using var cancelled = CancellationTokenSource.CreateLinkedTokenSource(job.CancellationToken, stopping);
        try
        {
            var pipeline = new CascadePipeline(model);
            using var source = ImageTensor.FromRgb(edit.Source);
            Tensor result;
            if (edit.Kind == EditKind.Upscale)
            {
                using var start = source.unsqueeze(0);
                result = pipeline.Generate(new CascadeRequest
                {
                    Prompt = ModelText(input.Prompt), NegativePrompt = input.NegativePrompt ?? "", Seeds = job.Seeds, StartImages = start, StageCount = input.Stages,
                    ItemEmphasis = [.. job.Seeds.Select(_ => Emphasis(input.Prompt).Phrases)],
                }, preview => PublishStep(batch, preview, clock), cancelled.Token);
            }
            else
            {
                using var mask = tensor(edit.Editable!.Select(m => m ? 1f : 0f).ToArray(), [edit.Source.Height, edit.Source.Width]);
                result = pipeline.Refine(new RefinementRequest
                {
                    Prompt = ModelText(input.Prompt), NegativePrompt = input.NegativePrompt ?? "", Seed = job.Seeds[0], Parent = source, Mask = mask,
                    Strength = edit.Strength, StepsPerStage = input.Steps, GuidanceScale = input.GuidanceScale, GuidancePerStage = input.GuidanceScales,
                    Emphasis = Emphasis(input.Prompt).Phrases,
                }, preview => PublishStep(batch, preview, clock), cancelled.Token);
            }
            using (result)
            {
                var image = ImageTensor.ToRgbBatch(result)[0];
                // Masked refinements go back onto the parent in bytes: outside the mask (and feather) nothing changes.
                if (edit.Kind == EditKind.RefineRegion) image = MaskCompositor.Composite(edit.Source, image, edit.Mask!, edit.Feather);
                var lineage = edit.Kind switch
                {
                    EditKind.RefineRegion => new ImageLineage(ImageOrigin.Refined, edit.SourceId, edit.MaskPng, input.Prompt),
                    EditKind.RefineWhole => new ImageLineage(ImageOrigin.Refined, edit.SourceId, Prompt: input.Prompt),
                    _ => new ImageLineage(ImageOrigin.Upscaled, edit.SourceId, Prompt: input.Prompt),
                };
                var scores = Score(model, result, [input.Prompt]);
                publisher.PostFinished(job, new GenerationEvent
                    {
                        JobId = job.Id, Status = GenerationStatus.Succeeded, Progress = 1,
                        Scores = scores is null ? null : ImageScore.Ranked(scores, Emphasis(input.Prompt).Phrases),
                    }, [image], lineage,
                    [Parameters(model, job, job.Seeds[0], image, lineage.Origin) with { Strength = edit.Kind == EditKind.Upscale ? null : edit.Strength }]);
            }
            logger.LogInformation("{Kind} of {Source} done in {Milliseconds:F0} ms", edit.Kind, edit.SourceId, clock.Elapsed);
        }
        catch (OperationCanceledException)
        {
            Stopped(batch, stopping);
        }
        catch (Exception e)
        {
            logger.LogError(e, "{Kind} {Job} failed", edit.Kind, job.Id);
            publisher.Post(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Failed, Error = EngineFailure });
        }
    }

    /// <summary>A batch's time: each step's duration, and progress that never goes back (the step times it weighs by keep being re-measured).</summary>
    sealed class BatchClock
    {
        readonly Stopwatch watch = Stopwatch.StartNew();
        double lastStep, furthest;

        public double Elapsed => watch.Elapsed.TotalMilliseconds;

        /// <summary>Milliseconds since the previous step (or the start).</summary>
        public double Step()
        {
            double now = Elapsed, took = now - lastStep;
            lastStep = now;
            return took;
        }

        public double Forward(double progress) => furthest = Math.Max(furthest, progress);
    }

    /// <summary>What goes inside the PNG: the request's settings with each stage's defaults filled in.</summary>
    static ImageParameters Parameters(CascadeModel model, GenerationJob job, long seed, RgbImage image, ImageOrigin origin)
    {
        var input = job.Input;
        int stages = input.Stages ?? model.Stages.Count;
        return new ImageParameters
        {
            Prompt = input.Prompt, NegativePrompt = input.NegativePrompt, Seed = seed, Stages = stages,
            Steps = [.. model.Stages.Take(stages).Select((s, i) => input.Steps is { } steps && i < steps.Length ? steps[i] : s.Config.DefaultSteps)],
            GuidanceScale = input.GuidanceScale, GuidanceScales = input.GuidanceScales, Width = image.Width, Height = image.Height, Model = model.Manifest.Name, Origin = origin,
        };
    }

    static string ModelText(string prompt) => BatchRequest.ModelText(prompt);

    static EmphasizedPrompt Emphasis(string prompt) => BatchRequest.Emphasis(prompt);

    /// <summary>Each image's alignment with its prompt and emphasized phrases; null without an alignment model.</summary>
    static AlignmentScores[]? Score(CascadeModel model, Tensor images, IReadOnlyList<string> prompts)
    {
        var scorer = new AlignmentScorer(model);
        if (!scorer.IsAvailable) return null;
        var parsed = prompts.Select(Emphasis).ToList();
        return [.. scorer.Score(images, [.. parsed.Select(p => p.Text)], [.. parsed.Select(p => (IReadOnlyList<string>)[.. p.Phrases.Select(x => x.Text)])])];
    }
}
