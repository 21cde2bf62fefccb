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
    /// <summary>Jobs ahead of this one (queued events only).</summary>
    public int? QueuePosition { get; init; }
    /// <summary>Jobs sharing the engine's forward pass with this one, itself included (running events only).</summary>
    public int? BatchJobs { get; init; }
    public int? StageIndex { get; init; }
    public int? StageCount { get; init; }
    public string? StageName { get; init; }
    public int? Resolution { get; init; }
    public int? Step { get; init; }
    public int? TotalSteps { get; init; }
    /// <summary>Share of all denoising steps of the job done, 0-1.</summary>
    public double Progress { get; init; }
    public IReadOnlyList<byte[]>? Previews { get; init; }
    public IReadOnlyList<string>? ImageIds { get; init; }
    /// <summary>Where each finished image downloads (GET, with the session's cookie or access token), in <see cref="ImageIds"/> order.</summary>
    public IReadOnlyList<string>? ImageUrls => ImageIds?.Select(id => $"/api/v1/images/{id}.png").ToList();
    /// <summary>The final event's alignment scores, one per image in <see cref="ImageIds"/> order, with each image's rank.</summary>
    public IReadOnlyList<ImageScore>? Scores { get; init; }
    public string? Error { get; init; }
    /// <summary>The job's warnings (words of the prompt the model does not know, each with suggestions); null when none.</summary>
    public IReadOnlyList<string>? Warnings { get; init; }

    public bool IsFinal => Status is GenerationStatus.Succeeded or GenerationStatus.Failed or GenerationStatus.Cancelled;
}
