using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace RefineWeb.Gallery;

/// <summary>
/// Hub connections opened with an access token, by token. REST checks a token on every request, but a hub connection
/// is authenticated once, when it opens: revoking the token closes its connections here at once, and, in a cluster,
/// on every other web node (<see cref="Broadcast"/>).
/// </summary>
public sealed class AccessTokenConnections
{
    readonly ConcurrentDictionary<string, ConcurrentDictionary<string, HubCallerContext>> byToken = new();

    public void Opened(string tokenId, HubCallerContext connection) =>
        byToken.GetOrAdd(tokenId, _ => new()).TryAdd(connection.ConnectionId, connection);

    public void Closed(string tokenId, HubCallerContext connection)
    {
        if (byToken.TryGetValue(tokenId, out var connections)) connections.TryRemove(connection.ConnectionId, out _);
    }

    /// <summary>Connections of <paramref name="tokenId"/> open on this node (tests, diagnostics).</summary>
    public int OpenCount(string tokenId) => byToken.TryGetValue(tokenId, out var connections) ? connections.Count : 0;

    /// <summary>In a cluster: tells the other web nodes too (set by the Redis relay); null in one process.</summary>
    internal Action<string>? Broadcast { get; set; }

    /// <summary>The token was revoked: every connection it opened ends now.</summary>
    public void Revoked(string tokenId)
    {
        CloseHere(tokenId);
        Broadcast?.Invoke(tokenId);
    }

    /// <summary>This node's connections only (a revocation another node made).</summary>
    internal void CloseHere(string tokenId)
    {
        if (!byToken.TryRemove(tokenId, out var connections)) return;
        foreach (var connection in connections.Values) connection.Abort();
    }
}
