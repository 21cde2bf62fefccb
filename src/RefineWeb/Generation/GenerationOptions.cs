namespace RefineWeb.Generation;

/// <summary>The "Generation" section of appsettings.json.</summary>
public sealed class GenerationOptions
{
    public const string Section = "Generation";

    /// <summary>Jobs waiting at most; one more is refused with 429.</summary>
    public int QueueCapacity { get; set; } = 32;

    /// <summary>
    /// Images per forward pass when compatible jobs are batched. 4 suits a CPU (measured on 2 cores: batches of 2-4
    /// give about 1.2x the throughput of one at a time, 8 is slower than one at a time); a GPU wants more.
    /// </summary>
    public int MaxBatchImages { get; set; } = 4;

    /// <summary>Jobs one session may have waiting at once; one more is refused with 429, so nobody takes the whole queue.</summary>
    public int MaxQueuedPerSession { get; set; } = 8;

    /// <summary>
    /// libtorch threads for a batch of one image; null: every core. Fewer leave cores to the web, but on 2 cores (web
    /// benchmark, interleaved, two runs) one thread made one image slower both times (1670 against 1509 ms and 1860
    /// against 1390 ms streamed), so every core is the default. Batches of several images always use every core.
    /// </summary>
    public int? SingleImageThreads { get; set; }

    /// <summary>
    /// How long the engine stays idle before it gives its freed activations back to the system (0: at once). A job
    /// arriving sooner finds its pages still mapped: trimming at once made every next job's first step fault them in
    /// again (see the README's first-preview table).
    /// </summary>
    public double TrimAfterIdleSeconds { get; set; } = 5;

    /// <summary>
    /// Step-level admission: a text-to-image job that arrives while others run joins them at the next denoising step
    /// (each with its own timesteps and sampler state) instead of waiting for their whole cascade. Edits, emphasis and
    /// layouts run as whole batches. False: every batch runs its cascade to the end before the next starts.
    /// </summary>
    public bool StepLevelAdmission { get; set; } = true;

    /// <summary>
    /// Images running at once under step-level admission (jobs join while there is room); null: <see cref="MaxBatchImages"/>.
    /// The running jobs spread over the stages, so each forward pass holds only those at one stage.
    /// </summary>
    public int? MaxRunningImages { get; set; }

    /// <summary>libtorch threads at most, for any batch; null: every core. Two workers on one machine each take a share.</summary>
    public int? Threads { get; set; }

    /// <summary>This engine's name in job statuses (<c>worker</c>); null: the machine's name and the process id.</summary>
    public string? WorkerName { get; set; }

    public string ResolvedWorkerName => string.IsNullOrWhiteSpace(WorkerName) ? $"{Environment.MachineName}-{Environment.ProcessId}" : WorkerName;
}
