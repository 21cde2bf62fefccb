using RefineWeb.Generation;

namespace RefineWeb.Apis;

/// <summary>
/// GET /api/v1/generations/{id}; once done, <see cref="Scores"/> (one per image) say how well each matches and rank
/// them. <see cref="Warnings"/>: what did not stop the job but changes what it draws (words the model does not know).
/// <see cref="CreatedAt"/>, <see cref="StartedAt"/>, <see cref="EndedAt"/>: when it was queued, started and ended (as the answering server heard).
/// <see cref="JobsAhead"/> (queued): jobs that run before it, those running now included (<see cref="QueuePosition"/> is its place among the waiting).
/// <see cref="SecondsUntilStart"/> (queued) and <see cref="SecondsLeft"/> (running): estimates from the engine's measured step times.
/// <see cref="Realignment"/> (a finished re-alignment): each phrase's score on its own region before and after.
/// <see cref="Worker"/> names the worker running it; <see cref="Attempt"/> is 2 and up when it is being run again because a worker died.
/// </summary>
public sealed record GenerationStatusResponse(string Id, GenerationStatus Status, int? QueuePosition, double Progress, string? StageName,
    int? Step, int? TotalSteps, IReadOnlyList<string> Images, IReadOnlyList<ImageScore>? Scores, string? Error, IReadOnlyList<string> Warnings,
    double? SecondsUntilStart = null, double? SecondsLeft = null, string? Worker = null, int? Attempt = null, int? JobsAhead = null,
    DateTimeOffset? CreatedAt = null, DateTimeOffset? StartedAt = null, DateTimeOffset? EndedAt = null,
    IReadOnlyList<Engine.Pipelines.Realign.PhraseRealignment>? Realignment = null)
{
    /// <summary>The one mapping of a job's latest event to the API's answer.</summary>
    public static GenerationStatusResponse Of(GenerationJob job)
    {
        var latest = job.Latest;
        // An estimate as of now, not as of the event that told it: a poller sees it count down, as the page does.
        double elapsed = Math.Max(0, (DateTimeOffset.UtcNow - job.LatestAt).TotalSeconds);
        double? Now(double? seconds) => seconds is { } s ? Math.Round(Math.Max(0, s - elapsed), 3) : null;
        return new(job.Id, latest.Status, latest.QueuePosition, latest.Progress, latest.StageName, latest.Step, latest.TotalSteps,
            latest.ImageUrls ?? [], latest.Scores, latest.Error, job.Warnings ?? [],
            latest.Status == GenerationStatus.Queued ? Now(latest.SecondsUntilStart) : null, latest.Status == GenerationStatus.Running ? Now(latest.SecondsLeft) : null,
            latest.Worker, latest.Attempt, latest.Status == GenerationStatus.Queued ? latest.JobsAhead : null, job.CreatedAt, job.StartedAt, job.EndedAt,
            latest.Realignment);
    }
}
