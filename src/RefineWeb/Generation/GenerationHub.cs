using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.SignalR;
using RefineWeb.Security;

namespace RefineWeb.Generation;

/// <summary>
/// SignalR hub at /hubs/generation for clients other than the page (a JavaScript page, a .NET client): Generate
/// streams the events of a new job and cancels it when the client stops listening or disconnects; Watch streams
/// an existing job of the same session until the client stops. The session is the connection's cookie (a client
/// without one gets a new session). Generate is validated and rate-limited exactly as POST /api/v1/generations;
/// a refusal is a <see cref="HubException"/> whose message says what to change.
/// </summary>
public sealed class GenerationHub(GenerationService service, CreationLimiter limiter) : Hub
{
    public async IAsyncEnumerable<GenerationEvent> Generate(GenerationInput? input, [EnumeratorCancellation] CancellationToken cancellation)
    {
        if (input is null) throw new HubException("Send a generation request: at least {\"prompt\": \"...\"}.");
        if (Context.GetHttpContext() is { } http && limiter.TryAcquire(http) is { Allowed: false } refused)
            throw new HubException("Too many requests: " + limiter.Message(refused.RetryAfter));
        var result = service.Submit(Context.User.Owner(), input, follow: true);
        if (result.Errors is { } errors) throw new HubException(string.Join(" ", errors.SelectMany(e => e.Value)));
        if (result.Unavailable is { } reason) throw new HubException("The model is not loaded: " + reason);
        if (result.CapacityMessage is { } capacity) throw new HubException(capacity);
        var job = result.Job!;
        var events = result.Events!.WithCancellation(cancellation);
        try
        {
            await foreach (var update in events) yield return update;
        }
        finally
        {
            job.Cancel(); // no-op once finished; a vanished client's job stops
        }
    }

    // An iterator like Generate, so a refusal ends the stream with its message instead of failing the invocation
    // (which SignalR logs as a server error with a stack trace: a client could fill the log with them).
    public async IAsyncEnumerable<GenerationEvent> Watch(string? jobId, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var job = service.Find(Context.User.Owner(), jobId ?? "") ?? throw new HubException($"There is no generation '{jobId}'.");
        await foreach (var update in Listen(job, cancellation)) yield return update;
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
