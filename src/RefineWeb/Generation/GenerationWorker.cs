using System.Diagnostics;
using Microsoft.Extensions.Options;
using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Requests;
using RefineWeb.Engine.Serving;
using RefineWeb.Gallery;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Generation;

/// <summary>
/// The engine's loop: the one thread that touches the model. Loads it, then takes batches off the queue (jobs waiting
/// with settings that can share a forward pass: dynamic batching, each keeping its own prompt, seeds and
/// cancellation), hands their requests to <see cref="ImageEngine"/> and publishes what comes back. Every step's
/// image estimates leave as plain RGB frames; the <see cref="EventPublisher"/> encodes and delivers them, so the
/// denoising loop never waits on encoding or clients.
/// </summary>
public sealed partial class GenerationWorker(IJobSource jobs, EventPublisher publisher, ModelHost models, GenerationMetrics metrics,
    GenerationTiming timing, IOptions<GenerationOptions> options, ILogger<GenerationWorker> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    void Run(CancellationToken stopping)
    {
        var model = models.Load();
        var engine = model is null ? null : new ImageEngine(model);
        if (model is not null) timing.UseStages(model.Stages.Select(s => (s.Config.Name, s.Config.DefaultSteps, s.Config.Resolution)));
        if (engine is not null) WarmUp(engine, stopping);
        timing.WarmUpEnded();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var batch = jobs.TakeAsync(options.Value.MaxBatchImages, stopping).GetAwaiter().GetResult();
                if (batch is null) return;
                CancelIdleTrim();
                foreach (var job in batch) job.RunningOn ??= (options.Value.ResolvedWorkerName, 1);
                if (engine is not null && RunsStepByStep(batch))
                {
                    try
                    {
                        RunStepByStep(engine, batch, stopping);
                    }
                    finally
                    {
                        metrics.BatchEnded();
                    }
                    TrimNativeHeap();
                    continue;
                }
                var started = DateTimeOffset.UtcNow;
                metrics.BatchStarted(batch, started);
                foreach (var job in batch) JobTracing.Queued(job, started);
                UseThreadsFor(batch.Sum(job => job.Seeds.Count));
                if (engine is null)
                {
                    foreach (var job in batch) publisher.Post(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Failed, Error = models.LoadError });
                    continue;
                }
                try
                {
                    RunBatch(engine, [.. batch], stopping);
                }
                finally
                {
                    metrics.BatchEnded();
                }
                timing.RunningMillisecondsLeft = 0;
                TrimNativeHeap();
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                // The engine outlives whatever failed around it (an unreachable queue, a bug): an exception leaving
                // this loop would stop the whole host, and with it every job still waiting.
                logger.LogError(e, "The engine loop failed; going on in a second");
                stopping.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
            }
        }
    }

    /// <summary>
    /// Before the first job, one image (twice: the first run is cold) and then a full batch through every stage, two
    /// steps each: each stage's setup and step time are measured at both ends of the batch sizes (sizes between are
    /// interpolated), so the first job's "time left" and every wait are honest from the start, and the first job does
    /// not pay for the native code's first run.
    /// </summary>
    void WarmUp(ImageEngine engine, CancellationToken stopping)
    {
        var model = engine.Model;
        var clock = Stopwatch.StartNew();
        try
        {
            // The first pass runs cold (the native code's first run, allocations): it is not what a step costs, so it is not kept.
            foreach (var (images, record) in new[] { (1, false), (1, true), (options.Value.MaxBatchImages, true) }.Distinct())
            {
                var (request, _) = ImageRequest.Parse(new GenerationInput { Prompt = "warm up", Seed = 0, Count = images, Steps = [.. model.Stages.Select(_ => 2)] },
                    model.Stages.Count);
                if (request is null) return;
                UseThreadsFor(images);
                var steps = new BatchClock();
                engine.Run([request], step =>
                {
                    double milliseconds = steps.Step();
                    if (record) timing.RecordStep(step.StageName, milliseconds, images, firstOfStage: step.Step == 1);
                }, stopping);
                if (record) timing.RecordFinishing(steps.Elapsed - steps.LastStepAt, images);
            }
            logger.LogInformation("Warmed up: every stage measured in {Milliseconds:F0} ms", clock.Elapsed.TotalMilliseconds);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "The warm-up failed; estimates start with the first job");
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
        ImageEngine.UseThreads(threads);
        threadsInUse = threads;
    }

    long lastTrim = Environment.TickCount64;
    Timer? idleTrim;

    /// <summary>
    /// Gives freed activations back to the system once the engine has been idle for
    /// <see cref="GenerationOptions.TrimAfterIdleSeconds"/>, and at most every 30 s under load: trimming after every
    /// batch kept the resident size flat but cost 15 % of the soak's throughput, and an idle server's next first
    /// preview, as the next batch faults its pages in again. (glibc's malloc_trim is thread-safe: the timer's thread
    /// may trim while a new batch starts.)
    /// </summary>
    void TrimNativeHeap()
    {
        if (jobs.Length > 0)
        {
            if (Environment.TickCount64 - lastTrim < 30_000) return;
            ImageEngine.TrimMemory();
            lastTrim = Environment.TickCount64;
            return;
        }
        var delay = TimeSpan.FromSeconds(Math.Max(0, options.Value.TrimAfterIdleSeconds));
        if (delay == TimeSpan.Zero)
        {
            ImageEngine.TrimMemory();
            lastTrim = Environment.TickCount64;
            return;
        }
        idleTrim ??= new Timer(_ =>
        {
            ImageEngine.TrimMemory();
            lastTrim = Environment.TickCount64;
        });
        idleTrim.Change(delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>A batch starts: the engine is not idle, so a pending idle trim waits for the next idle spell.</summary>
    void CancelIdleTrim() => idleTrim?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    public override void Dispose()
    {
        idleTrim?.Dispose();
        base.Dispose();
    }

    /// <summary>What a client reads when the engine failed: no exception text (that goes to the log).</summary>
    const string EngineFailure = "The engine failed on this request; it has been logged. Try other settings or try again.";

    const string ShuttingDown = "The server stopped before this generation finished; submit it again.";

    /// <summary>
    /// Runs a whole batch and publishes its outcome. Every job gets two tries before it fails: a batch that fails runs
    /// again job by job, so only the culprit fails; a job that fails alone (<paramref name="lastTry"/> false) runs once
    /// more. A failure that does not come back (a one-off, such as the garbage TorchSharp Scalars ScalarArguments now
    /// prevents) then costs a job its time, not its picture, as it already did a job run step by step (whose failed
    /// step reruns it alone).
    /// </summary>
    void RunBatch(ImageEngine engine, List<GenerationJob> batch, CancellationToken stopping, bool lastTry = false)
    {
        var settings = batch[0].Request.Settings;
        // The batch stops only when every job in it is cancelled (or the host stops); a cancelled job alone just stops hearing about it.
        using var everyoneCancelled = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var registrations = batch.Select(job => job.CancellationToken.Register(() =>
        {
            if (batch.All(j => j.CancellationToken.IsCancellationRequested)) everyoneCancelled.Cancel();
        })).ToList();
        // An edit starts where its picture enters the cascade: its own timeline is measured as it runs.
        int images = batch.Sum(job => job.Seeds.Count);
        double? expected = batch[0].Request.Edit is null ? timing.Timeline(0, settings.Stages ?? engine.Model.Stages.Count, settings.Steps, images: images)?.TotalMilliseconds : null;
        timing.RunningMillisecondsLeft = expected ?? 0;
        foreach (var job in batch)
        {
            JobTracing.Running(job, batch.Count);
            publisher.Post(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Running, BatchJobs = batch.Count, SecondsLeft = expected / 1000, At = DateTimeOffset.UtcNow });
        }
        string? failure = null;

        var clock = new BatchClock();
        try
        {
            var results = engine.Run([.. batch.Select(job => job.Request)], step => PublishStep(batch, step, clock), everyoneCancelled.Token);
            timing.RecordFinishing(clock.Elapsed - clock.LastStepAt, images);
            if (!everyoneCancelled.IsCancellationRequested)
            {
                if (expected is { } predicted) timing.RecordBatch(predicted, clock.Elapsed);
                if (clock.Sample is { } sample) timing.RecordRemaining(sample.Told, clock.Elapsed - sample.At);
            }
            for (int j = 0; j < batch.Count; j++)
            {
                var (job, result) = (batch[j], results[j]);
                if (job.CancellationToken.IsCancellationRequested)
                    publisher.Post(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Cancelled });
                else
                    Finished(engine, job, result);
            }
            logger.LogInformation("Made {Images} images for {Jobs} jobs ({Kind}) in {Milliseconds:F0} ms", batch.Sum(j => j.Seeds.Count), batch.Count,
                batch[0].Request.Edit?.Kind.ToString() ?? "text", clock.Elapsed);
        }
        catch (OperationCanceledException)
        {
            Stopped(batch, stopping);
        }
        catch (Exception e) when (batch.Count > 1 || !lastTry)
        {
            if (batch.Count > 1) logger.LogWarning(e, "A batch of {Jobs} jobs failed; running them one by one", batch.Count);
            else logger.LogWarning(e, "Generation {Job} failed; running it once more", batch[0].Id);
            foreach (var job in batch) JobTracing.Ended(job, "it failed; run again alone");
            foreach (var registration in registrations) registration.Dispose();
            foreach (var job in batch) RunBatch(engine, [job], stopping, lastTry: true);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Generation {Job} failed", batch[0].Id);
            failure = EngineFailure;
            foreach (var job in batch) publisher.Post(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Failed, Error = EngineFailure });
        }
        finally
        {
            foreach (var job in batch) JobTracing.Ended(job, failure);
            foreach (var registration in registrations) registration.Dispose();
        }
    }

    /// <summary>A job's final event, its images to store with where they came from and the settings that made each.</summary>
    void Finished(ImageEngine engine, GenerationJob job, EngineResult result)
    {
        var request = job.Request;
        var lineage = request.Edit switch
        {
            null => new ImageLineage(ImageOrigin.Generated, Prompt: request.Prompt),
            { Kind: EditKind.RefineRegion } edit => new ImageLineage(ImageOrigin.Refined, edit.SourceId, edit.MaskPng, request.Prompt),
            { Kind: EditKind.RefineWhole } edit => new ImageLineage(ImageOrigin.Refined, edit.SourceId, Prompt: request.Prompt),
            { Kind: EditKind.Realign } edit => new ImageLineage(ImageOrigin.Realigned, edit.SourceId, Prompt: request.Prompt),
            var edit => new ImageLineage(ImageOrigin.Upscaled, edit.SourceId, Prompt: request.Prompt),
        };
        var steps = engine.StepsPerStage(request.Settings);
        publisher.PostFinished(job, new GenerationEvent
            {
                JobId = job.Id, Status = GenerationStatus.Succeeded, Progress = 1,
                Scores = result.Scores is { } scores ? ImageScore.Ranked(scores, request.Emphasis.Phrases, request.Settings.Regions?.Select(r => r.Prompt).ToList()) : null,
                Realignment = result.Realignment,
            }, result.Images, lineage,
            [.. job.Seeds.Select((seed, i) => ImageParameters.Of(request, seed, result.Images[i], lineage.Origin, engine.Model.Manifest.Name, steps))]);
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
    void PublishStep(List<GenerationJob> batch, EngineStep preview, BatchClock clock)
    {
        double stepTime = clock.Step();
        int images = batch.Sum(job => job.Seeds.Count);
        metrics.Step(preview.StageName, stepTime);
        timing.RecordStep(preview.StageName, stepTime, images, firstOfStage: preview.Step == 1);
        // Progress and time left weigh each step by its stage's measured step time (the stages run from this one's place in the model).
        var timeline = timing.Timeline(timing.StageNumber(preview.StageName) - preview.StageIndex, preview.StageCount, batch[0].Request.Settings.Steps,
            preview.StageIndex, preview.TotalSteps, images);
        double withinPass = timeline?.Progress(preview.StageIndex, preview.Step) ?? (preview.StageIndex + (double)preview.Step / preview.TotalSteps) / preview.StageCount;
        double progress = clock.Forward((preview.Pass + withinPass) / preview.Passes); // a re-alignment's candidates, one after another
        double? left = (timeline?.MillisecondsLeft(preview.StageIndex, preview.Step) + (preview.Passes - preview.Pass - 1) * timeline?.TotalMilliseconds)
            * timing.RemainingCorrection;
        if (left is { } told && progress >= 0.25 && clock.Sample is null) clock.Sample = (clock.Elapsed, told / timing.RemainingCorrection);
        timing.RunningMillisecondsLeft = left ?? 0;
        jobs.Progressed(); // the waiting jobs' countdowns move with the running batch
        // Frames only when someone watches (a job polled over the API has nobody to show them to).
        var frames = batch.Any(job => job.HasListeners) ? preview.Frames() : null;
        int row = 0;
        foreach (var job in batch)
        {
            int first = row;
            row += job.Seeds.Count;
            if (job.CancellationToken.IsCancellationRequested) continue;
            if (preview.Step == 1) JobTracing.StageStarted(job, preview.StageName, preview.Resolution);
            var update = new GenerationEvent
            {
                JobId = job.Id, Status = GenerationStatus.Running, BatchJobs = batch.Count, StageIndex = preview.StageIndex,
                StageCount = preview.StageCount, StageName = preview.StageName, Resolution = preview.Resolution, Step = preview.Step,
                TotalSteps = preview.TotalSteps, Progress = progress, SecondsLeft = left / 1000, At = DateTimeOffset.UtcNow,
            };
            if (frames is not null && job.HasListeners) publisher.PostPreview(job, update, frames[first..row]);
            else publisher.Post(job, update);
        }
    }

    /// <summary>A batch's time: each step's duration, and progress that never goes back (the step times it weighs by keep being re-measured).</summary>
    sealed class BatchClock
    {
        readonly Stopwatch watch = Stopwatch.StartNew();
        double lastStep, furthest;

        public double Elapsed => watch.Elapsed.TotalMilliseconds;

        /// <summary>The time left told about a quarter of the way (uncorrected), and when: checked against the batch's end.</summary>
        public (double At, double Told)? Sample { get; set; }

        /// <summary>When the last step ended, in milliseconds since the batch started.</summary>
        public double LastStepAt => lastStep;

        /// <summary>Milliseconds since the previous step (or the start).</summary>
        public double Step()
        {
            double now = Elapsed, took = now - lastStep;
            lastStep = now;
            return took;
        }

        public double Forward(double progress) => furthest = Math.Max(furthest, progress);
    }
}
