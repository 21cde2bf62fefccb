using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.SignalR;
using RefineWeb.Gallery;

namespace RefineWeb.Generation;

/// <summary>
/// SignalR hub at /hubs/generation for clients other than the page (a JavaScript page, a .NET client): Generate
/// streams the events of a new job and cancels it when the client stops listening or disconnects; Watch streams
/// an existing job of the same session. The session is the connection's cookie (a client without one gets a new session).
/// </summary>
public sealed class GenerationHub(GenerationService service) : Hub
{
    public const string Path = "/hubs/generation";

    public async IAsyncEnumerable<GenerationEvent> Generate(GenerationInput input, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var result = service.Submit(Context.User.Owner(), input);
        if (result.Errors is { } errors) throw new HubException(string.Join(" ", errors.SelectMany(e => e.Value)));
        if (result.Unavailable is { } reason) throw new HubException("The model is not loaded: " + reason);
        if (result.QueueFull) throw new HubException("The queue is full; try again in a few seconds.");
        var job = result.Job!;
        try
        {
            await foreach (var update in job.Listen().ReadAllAsync(cancellation)) yield return update;
        }
        finally
        {
            job.Cancel(); // no-op once finished; a vanished client's job stops
        }
    }

    public async IAsyncEnumerable<GenerationEvent> Watch(string jobId, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var job = service.Find(Context.User.Owner(), jobId) ?? throw new HubException($"There is no generation '{jobId}'.");
        await foreach (var update in job.Listen().ReadAllAsync(cancellation)) yield return update;
    }
}
