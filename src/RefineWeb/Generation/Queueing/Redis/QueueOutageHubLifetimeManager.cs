using Microsoft.AspNetCore.SignalR;
using RefineWeb.Security;

namespace RefineWeb.Generation.Queueing.Redis;

/// <summary>
/// The Redis backplane of a hub, as it is, except when Redis is out of reach as a connection opens: the backplane
/// throws then, and SignalR drops the socket with 1011 and no reason. Here the connection is marked instead, and
/// the hub closes it with the message the API's 503 gives (<see cref="GenerationHub.OnConnectedAsync"/>).
/// </summary>
public sealed class QueueOutageHubLifetimeManager<THub>(HubLifetimeManager<THub> backplane, ILogger<QueueOutageHubLifetimeManager<THub>> log)
    : HubLifetimeManager<THub> where THub : Hub
{
    /// <summary>Set on a connection that opened while the queue was unreachable.</summary>
    public const string QueueUnreachable = "refineweb:queue-unreachable";

    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        try
        {
            await backplane.OnConnectedAsync(connection);
        }
        catch (Exception e) when (ErrorResponses.IsQueueFault(e))
        {
            log.LogWarning("A hub connection opened while Redis is unreachable ({Reason}); it is told so and closed", e.Message);
            connection.Items[QueueUnreachable] = true;
        }
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        try
        {
            await backplane.OnDisconnectedAsync(connection);
        }
        catch (Exception e) when (ErrorResponses.IsQueueFault(e))
        {
            log.LogDebug("Redis unreachable while a hub connection closed ({Reason})", e.Message); // its subscriptions end with the Redis connection
        }
    }

    public override Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        backplane.SendAllAsync(methodName, args, cancellationToken);

    public override Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        backplane.SendAllExceptAsync(methodName, args, excludedConnectionIds, cancellationToken);

    public override Task SendConnectionAsync(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        backplane.SendConnectionAsync(connectionId, methodName, args, cancellationToken);

    public override Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        backplane.SendConnectionsAsync(connectionIds, methodName, args, cancellationToken);

    public override Task SendGroupAsync(string groupName, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        backplane.SendGroupAsync(groupName, methodName, args, cancellationToken);

    public override Task SendGroupsAsync(IReadOnlyList<string> groupNames, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        backplane.SendGroupsAsync(groupNames, methodName, args, cancellationToken);

    public override Task SendGroupExceptAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        backplane.SendGroupExceptAsync(groupName, methodName, args, excludedConnectionIds, cancellationToken);

    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        backplane.SendUserAsync(userId, methodName, args, cancellationToken);

    public override Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        backplane.SendUsersAsync(userIds, methodName, args, cancellationToken);

    public override Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        backplane.AddToGroupAsync(connectionId, groupName, cancellationToken);

    public override Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        backplane.RemoveFromGroupAsync(connectionId, groupName, cancellationToken);

    public override Task<T> InvokeConnectionAsync<T>(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken) =>
        backplane.InvokeConnectionAsync<T>(connectionId, methodName, args, cancellationToken);

    public override Task SetConnectionResultAsync(string connectionId, Microsoft.AspNetCore.SignalR.Protocol.CompletionMessage result) =>
        backplane.SetConnectionResultAsync(connectionId, result);

    public override bool TryGetReturnType(string invocationId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Type? type) =>
        backplane.TryGetReturnType(invocationId, out type);
}
