using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.SignalR;

namespace RefineWeb.Generation;

/// <summary>
/// SignalR's dispatcher logs every exception a hub method ends with as an error with its stack trace, refusals
/// (<see cref="HubException"/>) and argument-binding failures included: a client sending bad requests in a loop
/// would fill the log (the soak's hostile client made a thousand such entries a minute). The dispatcher's log
/// category is therefore quiet (appsettings.json), and this filter logs what is worth it instead: a refusal at
/// Debug, any other failure of a hub method, or of the stream it returns, at Error.
/// </summary>
public sealed class HubErrorLogging(ILogger<HubErrorLogging> log) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        object? result;
        try
        {
            result = await next(context);
        }
        catch (Exception e) when (Logged(e, context.HubMethodName))
        {
            throw; // never reached: Logged returns false, so the exception goes on untouched
        }
        return result is IAsyncEnumerable<GenerationEvent> stream ? Watched(stream, context.HubMethodName) : result;
    }

    async IAsyncEnumerable<GenerationEvent> Watched(IAsyncEnumerable<GenerationEvent> stream, string method, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        await using var events = stream.GetAsyncEnumerator(cancellation);
        while (true)
        {
            try
            {
                if (!await events.MoveNextAsync()) yield break;
            }
            catch (Exception e) when (Logged(e, method))
            {
                throw;
            }
            yield return events.Current;
        }
    }

    /// <summary>Logs the failure at its level; false, so that the exception filter lets it pass.</summary>
    bool Logged(Exception e, string method)
    {
        if (e is HubException) log.LogDebug("Hub call {Method} refused: {Reason}", method, e.Message);
        else if (e is not OperationCanceledException) log.LogError(e, "Hub method {Method} failed", method);
        return false;
    }
}
