namespace RefineWeb.Generation;

public enum GenerationStatus { Queued, Running, Succeeded, Failed, Cancelled }

/// <summary>
/// One progress event of a job, as the page, the hub and the API see it. A step event carries a preview of every
/// image of the job (PNG at the stage's resolution); the final event carries the image ids.
/// </summary>
public sealed record GenerationEvent
{
    public required string JobId { get; init; }
    public required GenerationStatus Status { get; init; }
    /// <summary>Its place among the waiting jobs, 0 = next (queued events only).</summary>
    public int? QueuePosition { get; init; }
    /// <summary>Queued events: jobs that will run before this one, those running now included; null where unknown (a cluster tells only its place).</summary>
    public int? JobsAhead { get; init; }
    /// <summary>Queued events: about how many seconds until the job starts (the running batch's rest, then the jobs ahead), from
    /// the engine's measured step times; null until it has measured them.</summary>
    public double? SecondsUntilStart { get; init; }
    /// <summary>When the engine made this event (its estimates count down from then: delivery can lag behind a busy engine); null for events not from the engine.</summary>
    public DateTimeOffset? At { get; init; }
    /// <summary>Running events: about how many seconds are left (denoising, then scoring and storing), from each stage's measured times; null until measured.</summary>
    public double? SecondsLeft { get; init; }
    /// <summary>The worker running (or that ran) the job: a cluster's worker name, or this server's.</summary>
    public string? Worker { get; init; }
    /// <summary>Which try this is: 2 and up when a worker died while running the job and another took it over from the start.</summary>
    public int? Attempt { get; init; }
    /// <summary>Jobs sharing the engine's forward pass with this one, itself included (running events only).</summary>
    public int? BatchJobs { get; init; }
    public int? StageIndex { get; init; }
    public int? StageCount { get; init; }
    public string? StageName { get; init; }
    public int? Resolution { get; init; }
    public int? Step { get; init; }
    public int? TotalSteps { get; init; }
    /// <summary>Share of the job's denoising time done, 0-1: each step weighs what its stage's steps measurably take.</summary>
    public double Progress { get; init; }
    public IReadOnlyList<byte[]>? Previews { get; init; }
    public IReadOnlyList<string>? ImageIds { get; init; }
    /// <summary>Where each finished image downloads (GET, with the session's cookie or access token), in <see cref="ImageIds"/> order.</summary>
    public IReadOnlyList<string>? ImageUrls => ImageIds?.Select(Paths.ImagePng).ToList();
    /// <summary>The final event's alignment scores, one per image in <see cref="ImageIds"/> order, with each image's rank.</summary>
    public IReadOnlyList<ImageScore>? Scores { get; init; }
    /// <summary>A re-alignment's final event: each phrase's score on its own region before and after, and whether a candidate of its own was kept.</summary>
    public IReadOnlyList<Engine.Pipelines.Realign.PhraseRealignment>? Realignment { get; init; }
    public string? Error { get; init; }
    /// <summary>The job's warnings (words of the prompt the model does not know, each with suggestions); null when none.</summary>
    public IReadOnlyList<string>? Warnings { get; init; }

    public bool IsFinal => Status is GenerationStatus.Succeeded or GenerationStatus.Failed or GenerationStatus.Cancelled;
}
