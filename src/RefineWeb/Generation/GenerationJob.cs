using System.Security.Cryptography;
using System.Threading.Channels;

namespace RefineWeb.Generation;

/// <summary>
/// A queued or running generation: its input, seeds, latest state, cancellation, and the listeners of its events.
/// Each listener has its own small buffer that drops the oldest events when the listener lags, so a slow client
/// never slows the engine; the final event is written last and so is never dropped.
/// </summary>
public sealed class GenerationJob
{
    readonly CancellationTokenSource cancellation = new();
    readonly Lock gate = new();
    readonly List<Channel<GenerationEvent>> listeners = [];

    public GenerationJob(Guid owner, GenerationInput input, IReadOnlyList<long> seeds, EditPlan? edit = null)
    {
        Owner = owner;
        Input = input;
        Seeds = seeds;
        Edit = edit;
        Latest = new GenerationEvent { JobId = Id, Status = GenerationStatus.Queued };
    }

    /// <summary>128 random bits, hex: not guessable.</summary>
    public string Id { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    /// <summary>The session it was made for: its images go to that gallery, and only it can see or cancel the job.</summary>
    public Guid Owner { get; }
    public GenerationInput Input { get; }
    public IReadOnlyList<long> Seeds { get; }
    /// <summary>Refinements and upscales; null for a generation from text.</summary>
    public EditPlan? Edit { get; }
    public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;
    public GenerationEvent Latest { get; private set; }
    public CancellationToken CancellationToken => cancellation.Token;

    /// <summary>Asks the engine to stop this job; a no-op once it has ended.</summary>
    public void Cancel()
    {
        if (!Latest.IsFinal) cancellation.Cancel();
    }

    /// <summary>A reader of this job's events from now on, starting with its latest state.</summary>
    public ChannelReader<GenerationEvent> Listen(int buffer = 32)
    {
        var channel = Channel.CreateBounded<GenerationEvent>(new BoundedChannelOptions(buffer)
        {
            FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = false,
        });
        lock (gate)
        {
            channel.Writer.TryWrite(Latest);
            if (Latest.IsFinal) channel.Writer.TryComplete();
            else listeners.Add(channel);
        }
        return channel.Reader;
    }

    /// <summary>Whether anyone is listening now: previews are encoded only for jobs someone watches.</summary>
    public bool HasListeners
    {
        get { lock (gate) return listeners.Count > 0; }
    }

    internal void Publish(GenerationEvent update)
    {
        lock (gate)
        {
            if (Latest.IsFinal) return; // nothing follows the end
            Latest = update;
            foreach (var listener in listeners)
            {
                listener.Writer.TryWrite(update);
                if (update.IsFinal) listener.Writer.TryComplete();
            }
            if (update.IsFinal) listeners.Clear();
        }
    }
}
