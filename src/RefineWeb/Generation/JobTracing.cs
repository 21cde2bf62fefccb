using System.Diagnostics;

namespace RefineWeb.Generation;

/// <summary>
/// A trace per job (ActivitySource "RefineWeb.Generation", exported by OpenTelemetry when configured): the request
/// that submitted it, then "generation.queued" (submission to its batch), "generation.run" with a
/// "generation.stage" per cascade stage, and "generation.store" (the images into the gallery); every span carries
/// the job's id. Spans are started detached from <see cref="Activity.Current"/>: one worker thread holds the spans of
/// every job in its batch at once.
/// </summary>
public static class JobTracing
{
    public const string SourceName = "RefineWeb.Generation";
    public const string JobIdTag = "refineweb.job.id";

    static readonly ActivitySource Source = new(SourceName);

    static Activity? Start(string name, ActivityContext parent, GenerationJob job, DateTimeOffset start = default,
        IEnumerable<KeyValuePair<string, object?>>? tags = null)
    {
        var current = Activity.Current;
        var activity = Source.StartActivity(name, ActivityKind.Internal, parent, [new(JobIdTag, job.Id), .. tags ?? []], startTime: start);
        Activity.Current = current;
        return activity;
    }

    /// <summary>The wait in the queue, recorded once the job's batch starts.</summary>
    public static void Queued(GenerationJob job, DateTimeOffset started)
    {
        var span = Start("generation.queued", job.Submission, job, job.CreatedAt);
        span?.SetEndTime(started.UtcDateTime);
        span?.Stop();
    }

    /// <summary>The job's run in a batch of <paramref name="batchJobs"/>; ends with <see cref="Ended"/>.</summary>
    public static void Running(GenerationJob job, int batchJobs) =>
        job.RunSpan = Start("generation.run", job.Submission, job, tags: [new("refineweb.batch.jobs", batchJobs)]);

    /// <summary>A stage's first step: the previous stage's span ends and this one's begins.</summary>
    public static void StageStarted(GenerationJob job, string stage, int resolution)
    {
        job.StageSpan?.Stop();
        job.StageSpan = Start("generation.stage", job.RunSpan?.Context ?? job.Submission, job,
            tags: [new("refineweb.stage", stage), new("refineweb.resolution", resolution)]);
    }

    /// <summary>The run ends (succeeded, cancelled or failed: <paramref name="error"/>).</summary>
    public static void Ended(GenerationJob job, string? error = null)
    {
        job.StageSpan?.Stop();
        if (error is not null) job.RunSpan?.SetStatus(ActivityStatusCode.Error, error);
        job.RunSpan?.Stop();
    }

    /// <summary>Storing the job's images; dispose it when they are stored.</summary>
    public static Activity? Storing(GenerationJob job) => Start("generation.store", job.RunSpan?.Context ?? job.Submission, job);
}
