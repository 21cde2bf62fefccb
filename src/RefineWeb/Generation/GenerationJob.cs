using System.Security.Cryptography;
using System.Threading.Channels;
using RefineWeb.Engine.Requests;

namespace RefineWeb.Generation;

/// <summary>
/// A queued or running generation: its input, seeds, latest state, cancellation, and the listeners of its events.
/// Each listener has its own small buffer that drops the oldest events when the listener lags, so a slow client
/// never slows the engine; the final event is written last and so is never dropped. A listener is removed as soon
/// as its reader stops (<see cref="Events"/>), not only when the job ends, and a job has at most
/// <see cref="MaxListeners"/>: nobody can make the engine encode previews for readers that left.
/// </summary>
public sealed class GenerationJob
{
    public const int MaxListeners = 16;

    readonly CancellationTokenSource cancellation = new();
    readonly CancellationToken token;
    readonly Lock gate = new();
    readonly List<Channel<GenerationEvent>> listeners = [];

    /// <param name="id">Given when the job already exists elsewhere (read back from a cluster's store); otherwise a new one.</param>
    public GenerationJob(Guid owner, ImageRequest request, IReadOnlyList<string>? warnings = null, string? id = null, DateTimeOffset? createdAt = null)
    {
        Id = id ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        CreatedAt = createdAt ?? DateTimeOffset.UtcNow;
        Owner = owner;
        Request = request;
        Seeds = request.Seeds; // read per step by the worker and per queue change: computed once
        Warnings = warnings is { Count: > 0 } ? warnings : null;
        token = cancellation.Token;
        Latest = new GenerationEvent { JobId = Id, Status = GenerationStatus.Queued, Warnings = Warnings };
    }

    /// <summary>
    /// The span that submitted the job (the API request or hub call), the parent of its trace; none without tracing.
    /// A cluster's worker sets it from the job's stored trace context, so its spans join the web node's trace.
    /// </summary>
    public System.Diagnostics.ActivityContext Submission { get; init; } = System.Diagnostics.Activity.Current?.Context ?? default;
    /// <summary>The job's open spans while it runs (<see cref="JobTracing"/>); only the worker's thread sets them.</summary>
    internal System.Diagnostics.Activity? RunSpan { get; set; }
    internal System.Diagnostics.Activity? StageSpan { get; set; }

    /// <summary>What the submitter should know but that did not stop the job (words the model does not know); null when none.</summary>
    public IReadOnlyList<string>? Warnings { get; }

    /// <summary>128 random bits, hex: not guessable.</summary>
    public string Id { get; }
    /// <summary>The session it was made for: its images go to that gallery, and only it can see or cancel the job.</summary>
    public Guid Owner { get; }
    /// <summary>What was asked, validated and parsed once at submission; an edit's picture is let go of once the job ends.</summary>
    public ImageRequest Request { get; private set; }
    /// <summary>One seed per image.</summary>
    public IReadOnlyList<long> Seeds { get; }
    public DateTimeOffset CreatedAt { get; }
    public GenerationEvent Latest { get; private set; }
    /// <summary>
    /// When an event was made: the engine's stamp when it is plausible (not ahead of this clock, and recent: another
    /// machine's clock may be off), else now.
    /// </summary>
    public static DateTimeOffset MadeAt(GenerationEvent update, DateTimeOffset now) =>
        update.At is { } at && at <= now && now - at < TimeSpan.FromSeconds(30) ? at : now;

    /// <summary>When <see cref="Latest"/> was made: its time estimates count from then.</summary>
    public DateTimeOffset LatestAt { get; private set; } = DateTimeOffset.UtcNow;
    /// <summary>When this process heard that the job started (its first event past "queued"); null while it waits.</summary>
    public DateTimeOffset? StartedAt { get; private set; }
    /// <summary>When this process heard that the job ended; null until then.</summary>
    public DateTimeOffset? EndedAt { get; private set; }
    public CancellationToken CancellationToken => token;

    /// <summary>
    /// Where this job's events and cancellation travel beyond this process (a cluster: a worker sends its events out,
    /// a web node sends cancellations to the worker); null in one process.
    /// </summary>
    internal IJobRelay? Relay { get; set; }

    /// <summary>The worker that took the job and which try it is (1, then 2 and up after a worker died); stamped on its events from then on.</summary>
    internal (string Name, int Attempt)? RunningOn { get; set; }

    /// <summary>Asks the engine to stop this job (wherever it runs); a no-op once it has ended.</summary>
    public void Cancel()
    {
        if (CancelLocally()) Relay?.CancelRequested(this);
    }

    /// <summary>Stops this process's copy of the job (a worker told by the cluster); false once it has ended.</summary>
    internal bool CancelLocally()
    {
        lock (gate)
        {
            if (Latest.IsFinal) return false;
            cancellation.Cancel();
            return true;
        }
    }

    /// <summary>
    /// This job's events from now on, starting with its latest state, until the final one or until
    /// <paramref name="stop"/>; the listener goes away with the enumeration. Throws
    /// <see cref="InvalidOperationException"/> when the job already has <see cref="MaxListeners"/>.
    /// </summary>
    public IAsyncEnumerable<GenerationEvent> Events(CancellationToken stop = default) => Drain(Listen(), stop); // Listen now: refusals throw here

    async IAsyncEnumerable<GenerationEvent> Drain(ChannelReader<GenerationEvent> reader, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken stop)
    {
        try
        {
            await foreach (var update in reader.ReadAllAsync(stop)) yield return update;
        }
        finally
        {
            Unlisten(reader);
        }
    }

    /// <summary>Listeners now (tests, metrics).</summary>
    internal int ListenerCount
    {
        get { lock (gate) return listeners.Count; }
    }

    /// <summary>A reader of this job's events from now on, starting with its latest state; prefer <see cref="Events"/>,
    /// which also removes it (a reader from here stays until the job ends).</summary>
    public ChannelReader<GenerationEvent> Listen(int buffer = 32)
    {
        var channel = Channel.CreateBounded<GenerationEvent>(new BoundedChannelOptions(buffer)
        {
            FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = false,
        });
        lock (gate)
        {
            if (!Latest.IsFinal && listeners.Count >= MaxListeners)
                throw new InvalidOperationException($"This generation already has {MaxListeners} watchers; close one first.");
            channel.Writer.TryWrite(Latest);
            if (Latest.IsFinal) channel.Writer.TryComplete();
            else listeners.Add(channel);
        }
        if (!Latest.IsFinal) Relay?.Watching(this);
        return channel.Reader;
    }

    void Unlisten(ChannelReader<GenerationEvent> reader)
    {
        lock (gate) listeners.RemoveAll(l => l.Reader == reader);
    }

    /// <summary>Whether anyone is listening now: previews are encoded only for jobs someone watches.</summary>
    public bool HasListeners
    {
        get { lock (gate) return listeners.Count > 0 || Relay?.IsWatchedElsewhere(this) == true; }
    }

    internal void Publish(GenerationEvent update)
    {
        lock (gate)
        {
            if (Latest.IsFinal) return; // nothing follows the end
            if (Warnings is not null && update.Warnings is null) update = update with { Warnings = Warnings }; // every event says it: a late watcher sees it too
            if (RunningOn is { } worker && update.Status != GenerationStatus.Queued && update.Worker is null)
                update = update with { Worker = worker.Name, Attempt = worker.Attempt };
            // A job that stops early ends where it stopped (the API's progress and the page's bar), not back at 0.
            if (update.Status is GenerationStatus.Cancelled or GenerationStatus.Failed && update.StageName is null)
                update = update with
                {
                    Progress = Latest.Progress, StageIndex = Latest.StageIndex, StageCount = Latest.StageCount, StageName = Latest.StageName,
                    Resolution = Latest.Resolution, Step = Latest.Step, TotalSteps = Latest.TotalSteps,
                };
            Latest = update;
            LatestAt = MadeAt(update, DateTimeOffset.UtcNow);
            if (update.Status != GenerationStatus.Queued) StartedAt ??= DateTimeOffset.UtcNow;
            if (update.IsFinal) EndedAt = DateTimeOffset.UtcNow;
            Relay?.Published(this, update); // under the lock: the cluster hears the events in the order they happened
            foreach (var listener in listeners)
            {
                listener.Writer.TryWrite(update);
                if (update.IsFinal) listener.Writer.TryComplete();
            }
            if (update.IsFinal)
            {
                listeners.Clear();
                // A finished job stays findable for a while: keep its outcome, let go of what the run needed.
                if (Request.Edit is not null) Request = Request with { Edit = null };
                cancellation.Dispose();
            }
        }
    }
}

/// <summary>Carries a job's events and cancellation between processes (see <see cref="GenerationJob.Relay"/>).</summary>
internal interface IJobRelay
{
    /// <summary>Whether someone in another process watches the job: previews are encoded for it. Must not block.</summary>
    bool IsWatchedElsewhere(GenerationJob job);

    /// <summary>Someone here started watching the job (the process running it should encode previews); must not block.</summary>
    void Watching(GenerationJob job);

    /// <summary>An event this process published; must not block.</summary>
    void Published(GenerationJob job, GenerationEvent update);

    /// <summary>Someone here asked to stop the job; must not block.</summary>
    void CancelRequested(GenerationJob job);
}
