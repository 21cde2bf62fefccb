using Microsoft.AspNetCore.SignalR;
using RefineWeb.Contracts;

namespace RefineWeb.Gallery;

/// <summary>
/// Keeps a hub connection opened with an access token only as long as the token: it is tracked for
/// <see cref="AccessTokenConnections"/> (closed at once on revocation), checked again right after it opens (a
/// revocation between the handshake and the tracking) and on every call (a revocation another node could not
/// announce while Redis was down).
/// </summary>
public sealed class AccessTokenHubFilter(AccessTokenConnections connections, AccessTokenService tokens) : IHubFilter
{
    public const string Revoked = "The access token was revoked: this connection is closed. Create a new token on the gallery page (Scripts and the API).";

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        if (TokenOf(context.Context) is { } tokenId)
        {
            connections.Opened(tokenId, context.Context);
            if (!await tokens.IsActiveAsync(tokenId, context.Context.ConnectionAborted))
            {
                context.Context.Abort();
                return;
            }
        }
        await next(context);
    }

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocation, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (TokenOf(invocation.Context) is { } tokenId && !await tokens.IsActiveAsync(tokenId, invocation.Context.ConnectionAborted))
        {
            // Closed a moment later: aborting now would drop the refusal before it reaches the client.
            var connection = invocation.Context;
            _ = Task.Delay(TimeSpan.FromSeconds(1)).ContinueWith(_ => connection.Abort(), TaskScheduler.Default);
            throw new HubException(Revoked);
        }
        return await next(invocation);
    }

    public Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        if (TokenOf(context.Context) is { } tokenId) connections.Closed(tokenId, context.Context);
        return next(context, exception);
    }

    static string? TokenOf(HubCallerContext connection) => connection.User?.FindFirst(SessionIdentity.TokenClaim)?.Value;
}
