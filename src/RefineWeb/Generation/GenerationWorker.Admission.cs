using RefineWeb.Engine.Serving;

namespace RefineWeb.Generation;

/// <summary>
/// Step-level admission (<see cref="GenerationOptions.StepLevelAdmission"/>): text-to-image jobs run as a
/// <see cref="ContinuousBatch{TKey}"/>, and between two steps the engine takes waiting jobs that can join them, up to
/// <see cref="GenerationOptions.MaxRunningImages"/> images, so a new job's first preview comes a step later instead of a
/// whole cascade later. Each job hears its own stage and step; it ends as soon as its own last stage does.
/// </summary>
public sealed partial class GenerationWorker
{
    /// <summary>Whether a batch the queue gave runs step by step, joined by later jobs.</summary>
    bool RunsStepByStep(IReadOnlyList<GenerationJob> batch) =>
        options.Value.StepLevelAdmission && batch.All(job => ContinuousBatch<GenerationJob>.CanStep(job.Request));

    void RunStepByStep(ImageEngine engine, IReadOnlyList<GenerationJob> first, CancellationToken stopping)
    {
        using var running = new ContinuousBatch<GenerationJob>(engine);
        var progress = new Dictionary<GenerationJob, (BatchClock Clock, int StepsDone, int Steps)>();
        double tickMilliseconds = 0;
        int maxImages = options.Value.MaxRunningImages ?? options.Value.MaxBatchImages;

        void Admit(IReadOnlyList<GenerationJob> jobs)
        {
            if (jobs.Count == 0) return; // asked at every step: nothing joined, nothing to record
            var now = DateTimeOffset.UtcNow;
            metrics.Admitted([.. jobs], now);
            var admitted = new List<GenerationJob>();
            foreach (var job in jobs)
            {
                job.RunningOn ??= (options.Value.ResolvedWorkerName, 1);
                JobTracing.Queued(job, now);
                try
                {
                    running.Admit(job, job.Request);
                    admitted.Add(job);
                }
                catch (Exception e)
                {
                    logger.LogError(e, "Generation {Job} could not start", job.Id);
                    publisher.Post(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Failed, Error = EngineFailure });
                    JobTracing.Ended(job, EngineFailure);
                }
            }
            // Told once all have joined: each hears how many jobs share its steps.
            foreach (var job in admitted)
            {
                var steps = engine.StepsPerStage(job.Request.Settings);
                progress[job] = (new BatchClock(), 0, steps.Sum());
                double? expected = timing.Timeline(0, steps.Count, job.Request.Settings.Steps, images: running.Images)?.TotalMilliseconds;
                JobTracing.Running(job, running.Count);
                publisher.Post(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Running, BatchJobs = running.Count, SecondsLeft = expected / 1000, At = now });
            }
        }

        void End(GenerationJob job, string? error)
        {
            running.Remove(job);
            progress.Remove(job);
            JobTracing.Ended(job, error);
        }

        Admit(first);
        try
        {
            while (running.Count > 0)
            {
                // Cancelled jobs leave at once: nobody waits for their steps.
                foreach (var job in running.Keys.Where(job => job.CancellationToken.IsCancellationRequested))
                {
                    publisher.Post(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Cancelled });
                    End(job, null);
                }
                if (!stopping.IsCancellationRequested && running.Images < maxImages)
                    Admit(jobs.TakeJoining(maxImages - running.Images, job => running.CanAdmit(job.Request)));
                if (running.Count == 0) break;
                UseThreadsFor(running.Images);
                metrics.Running(running.Count, running.Images);
                var tick = System.Diagnostics.Stopwatch.StartNew();
                var finished = running.Step(step => PublishJoinedStep(running, step, progress, tickMilliseconds), stopping);
                tickMilliseconds = tickMilliseconds == 0 ? tick.Elapsed.TotalMilliseconds : 0.8 * tickMilliseconds + 0.2 * tick.Elapsed.TotalMilliseconds;
                foreach (var (job, result) in finished)
                {
                    progress.Remove(job);
                    if (job.CancellationToken.IsCancellationRequested) publisher.Post(job, new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Cancelled });
                    else Finished(engine, job, result);
                    JobTracing.Ended(job);
                }
                // A waiting job that can join starts at the next step while there is room; else when the nearest job ends.
                timing.RunningMillisecondsLeft = running.Images < maxImages || progress.Count == 0 ? 0
                    : progress.Values.Min(p => p.Steps - p.StepsDone) * tickMilliseconds;
                jobs.Progressed();
            }
        }
        catch (OperationCanceledException)
        {
            var unfinished = running.Keys;
            Stopped([.. unfinished], stopping);
            foreach (var job in unfinished) JobTracing.Ended(job, stopping.IsCancellationRequested ? ShuttingDown : null);
        }
        catch (Exception e)
        {
            // One bad request must not take the others down: each starts again alone, so only the culprit fails.
            var unfinished = running.Keys;
            logger.LogWarning(e, "A step of {Jobs} jobs failed; running them one by one", unfinished.Count);
            foreach (var job in unfinished) End(job, "its step failed; run again alone");
            foreach (var job in unfinished) RunBatch(engine, [job], stopping, lastTry: true);
        }
        finally
        {
            timing.RunningMillisecondsLeft = 0;
        }
    }

    /// <summary>One job's step: the pass's time once for its stage, then the job's progress, time left and (watched) frames.</summary>
    void PublishJoinedStep(ContinuousBatch<GenerationJob> running, ContinuousStep<GenerationJob> step,
        Dictionary<GenerationJob, (BatchClock Clock, int StepsDone, int Steps)> progress, double tickMilliseconds)
    {
        var (job, preview) = (step.Key, step.Step);
        if (step.FirstOfPass)
        {
            metrics.Step(preview.StageName, step.PassMilliseconds);
            timing.RecordStep(preview.StageName, step.PassMilliseconds, step.PassImages);
        }
        var (clock, done, total) = progress[job];
        progress[job] = (clock, ++done, total);
        if (job.CancellationToken.IsCancellationRequested) return;
        if (preview.Step == 1) JobTracing.StageStarted(job, preview.StageName, preview.Resolution);
        var timeline = timing.Timeline(timing.StageNumber(preview.StageName) - preview.StageIndex, preview.StageCount, job.Request.Settings.Steps,
            preview.StageIndex, preview.TotalSteps, running.Images);
        double fraction = clock.Forward(timeline?.Progress(preview.StageIndex, preview.Step)
            ?? (preview.StageIndex + (double)preview.Step / preview.TotalSteps) / preview.StageCount);
        // Each of the job's steps left takes about one round of every running job's steps.
        double? left = tickMilliseconds > 0 ? (total - done) * tickMilliseconds : timeline?.MillisecondsLeft(preview.StageIndex, preview.Step);
        var update = new GenerationEvent
        {
            JobId = job.Id, Status = GenerationStatus.Running, BatchJobs = running.Count, StageIndex = preview.StageIndex,
            StageCount = preview.StageCount, StageName = preview.StageName, Resolution = preview.Resolution, Step = preview.Step,
            TotalSteps = preview.TotalSteps, Progress = fraction, SecondsLeft = left / 1000, At = DateTimeOffset.UtcNow,
        };
        if (job.HasListeners) publisher.PostPreview(job, update, preview.Frames());
        else publisher.Post(job, update);
    }
}
