using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.SignalR;
using RefineWeb.Generation.Queueing;
using RefineWeb.Generation.Queueing.Redis;
using RefineWeb.Security;

namespace RefineWeb.Generation;

/// <summary>
/// SignalR hub at /hubs/generation for clients other than the page (a JavaScript page, a .NET client): Generate
/// streams the events of a new job and cancels it when the client stops listening or disconnects; Watch streams
/// an existing job of the same session until the client stops. The session is the connection's cookie (a client
/// without one gets a new session). Generate is validated and rate-limited exactly as POST /api/v1/generations;
/// a refusal is a <see cref="HubException"/> whose message says what to change.
/// </summary>
public sealed class GenerationHub(GenerationService service, CreationLimiter limiter, IGenerationQueue queue, IHostApplicationLifetime lifetime) : Hub
{
    public async IAsyncEnumerable<GenerationEvent> Generate(GenerationInput? input, [EnumeratorCancellation] CancellationToken cancellation)
    {
        if (input is null) throw new HubException("Send a generation request: at least {\"prompt\": \"...\"}.");
        if (Context.GetHttpContext() is { } http && limiter.TryAcquire(http) is { Allowed: false } refused)
            throw new HubException("Too many requests: " + limiter.Message(refused.RetryAfter));
        var result = WhileQueueReachable(() => service.Submit(Context.User.Owner(), input, follow: true));
        await foreach (var update in Follow(result, cancellation)) yield return update;
    }

    /// <summary>
    /// Re-aligns a finished image of this session with its own prompt (or <see cref="RealignmentInput.Prompt"/>), streaming
    /// the job's events as Generate does; the last one says each phrase's score before and after. Refused as POST /api/v1/realignments is.
    /// </summary>
    public async IAsyncEnumerable<GenerationEvent> Realign(RealignmentInput? input, [EnumeratorCancellation] CancellationToken cancellation)
    {
        if (input is null) throw new HubException("Send a re-alignment request: {\"imageId\": \"...\"}.");
        if (Context.GetHttpContext() is { } http && limiter.TryAcquire(http) is { Allowed: false } refused)
            throw new HubException("Too many requests: " + limiter.Message(refused.RetryAfter));
        SubmitResult result;
        try
        {
            result = await service.SubmitRealignmentAsync(Context.User.Owner(), input, follow: true);
        }
        catch (Exception e) when (ErrorResponses.IsQueueFault(e))
        {
            throw new HubException(QueueUnreachable);
        }
        await foreach (var update in Follow(result, cancellation)) yield return update;
    }

    /// <summary>A submission's refusal as the client's message, or its job's events until the client stops listening (the job then stops too).</summary>
    async IAsyncEnumerable<GenerationEvent> Follow(SubmitResult result, [EnumeratorCancellation] CancellationToken cancellation)
    {
        if (result.Errors is { } errors) throw new HubException(string.Join(" ", errors.SelectMany(e => e.Value)));
        if (result.Unavailable is { } reason) throw new HubException("The model is not loaded: " + reason);
        if (result.CapacityMessage is { } capacity) throw new HubException(capacity);
        var job = result.Job!;
        // The stream ends with the client, or, in a cluster, with this web node when it stops gracefully (a deploy, a
        // scale-in): the job is not the client's to lose then. It runs on on a worker, and the client is told where
        // to follow it. (In one process the engine stops too and says so in the job's last event.)
        var nodeStopping = queue.OutlivesThisProcess ? lifetime.ApplicationStopping : CancellationToken.None;
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(cancellation, nodeStopping);
        var events = result.Events!.GetAsyncEnumerator(ended.Token);
        bool handedOver = false;
        try
        {
            while (true)
            {
                try
                {
                    if (!await events.MoveNextAsync()) break;
                }
                catch (OperationCanceledException) when (nodeStopping.IsCancellationRequested)
                {
                    handedOver = true; // the client may be cut off too as the node stops: the job is still not its to lose
                    break;
                }
                yield return events.Current;
            }
        }
        finally
        {
            await events.DisposeAsync();
            if (!handedOver && !nodeStopping.IsCancellationRequested) job.Cancel(); // no-op once finished; a vanished client's job stops
        }
        if (handedOver) throw new HubException(NodeStopping(job.Id));
    }

    public override Task OnConnectedAsync() =>
        Context.Items.ContainsKey(QueueOutageHubLifetimeManager<GenerationHub>.QueueUnreachable)
            ? throw new HubException(QueueUnreachable) // SignalR closes the connection with this message
            : Task.CompletedTask;

    static string QueueUnreachable => $"{ErrorResponses.QueueUnreachableTitle}: {ErrorResponses.QueueUnreachableDetail}";

    /// <summary>What a client streaming a job hears when this node stops under it: the job goes on, and how to follow it.</summary>
    public static string NodeStopping(string jobId) =>
        $"This server is stopping; generation {jobId} goes on. Follow it with Watch(\"{jobId}\") on the hub or GET {Paths.Generation(jobId)} (any node of the cluster).";

    // An iterator like Generate, so a refusal ends the stream with its message instead of failing the invocation
    // (which SignalR logs as a server error with a stack trace: a client could fill the log with them).
    public async IAsyncEnumerable<GenerationEvent> Watch(string? jobId, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var job = WhileQueueReachable(() => service.Find(Context.User.Owner(), jobId ?? "")) ?? throw new HubException($"There is no generation '{jobId}'.");
        await foreach (var update in Listen(job, cancellation)) yield return update;
    }

    /// <summary>A call on the cluster's queue; when Redis is out of reach the client hears what the API's 503 says.</summary>
    static T WhileQueueReachable<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (Exception e) when (ErrorResponses.IsQueueFault(e))
        {
            throw new HubException(QueueUnreachable);
        }
    }

    static IAsyncEnumerable<GenerationEvent> Listen(GenerationJob job, CancellationToken cancellation)
    {
        try
        {
            return job.Events(cancellation);
        }
        catch (InvalidOperationException e)
        {
            throw new HubException(e.Message);
        }
    }
}
