using RefineWeb.Generation;

namespace RefineWeb.Apis;

/// <summary>
/// GET /api/v1/generations/{id}; once done, <see cref="Scores"/> (one per image) say how well each matches and rank
/// them. <see cref="Warnings"/>: what did not stop the job but changes what it draws (words the model does not know).
/// <see cref="JobsAhead"/> (queued): jobs that run before it, those running now included (<see cref="QueuePosition"/> is its place among the waiting).
/// <see cref="SecondsUntilStart"/> (queued) and <see cref="SecondsLeft"/> (running): estimates from the engine's measured step times.
/// <see cref="Worker"/> names the worker running it; <see cref="Attempt"/> is 2 and up when it is being run again because a worker died.
/// </summary>
public sealed record GenerationStatusResponse(string Id, GenerationStatus Status, int? QueuePosition, double Progress, string? StageName,
    int? Step, int? TotalSteps, IReadOnlyList<string> Images, IReadOnlyList<ImageScore>? Scores, string? Error, IReadOnlyList<string> Warnings,
    double? SecondsUntilStart = null, double? SecondsLeft = null, string? Worker = null, int? Attempt = null, int? JobsAhead = null)
{
    /// <summary>The one mapping of a job's latest event to the API's answer.</summary>
    public static GenerationStatusResponse Of(GenerationJob job)
    {
        var latest = job.Latest;
        return new(job.Id, latest.Status, latest.QueuePosition, latest.Progress, latest.StageName, latest.Step, latest.TotalSteps,
            latest.ImageUrls ?? [], latest.Scores, latest.Error, job.Warnings ?? [],
            latest.Status == GenerationStatus.Queued ? latest.SecondsUntilStart : null, latest.Status == GenerationStatus.Running ? latest.SecondsLeft : null,
            latest.Worker, latest.Attempt, latest.Status == GenerationStatus.Queued ? latest.JobsAhead : null);
    }
}
