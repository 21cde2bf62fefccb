namespace RefineWeb.Generation.Queueing.Redis;

public enum EngineMode
{
    /// <summary>One process: in-memory queue, the model in the web host (the default; <c>dotnet run</c>).</summary>
    Embedded,
    /// <summary>Web nodes and workers sharing a Redis queue (<c>ConnectionStrings:Redis</c>) and a PostgreSQL gallery.</summary>
    Distributed,
}

/// <summary>The "Engine" section of appsettings.json: where jobs run.</summary>
public sealed class EngineOptions
{
    public const string Section = "Engine";

    public EngineMode Mode { get; set; } = EngineMode.Embedded;

    /// <summary>Prefix of every Redis key and channel, so several deployments can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "refineweb:";

    /// <summary>A worker says it is alive (for each batch it runs) this often.</summary>
    public double HeartbeatSeconds { get; set; } = 1;

    /// <summary>A batch whose worker has been silent this long goes to another worker, which runs it again from the start.</summary>
    public double ReclaimAfterSeconds { get; set; } = 3;

    /// <summary>Workers a batch may be given to; after that its jobs fail with the reason.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Finished jobs stay readable (status, Watch) this long.</summary>
    public double KeepFinishedMinutes { get; set; } = 60;

    /// <summary>
    /// Fault injection for the cluster tests: a worker that takes a job with exactly this prompt kills its own process,
    /// as a job that crashes libtorch would. Empty in production.
    /// </summary>
    public string? CrashOnPrompt { get; set; }
}
