using RefineWeb.Gallery;
using StackExchange.Redis;

namespace RefineWeb.Generation.Queueing.Redis;

/// <summary>
/// What one process must tell every other, over Redis pub/sub: a gallery change (an image a worker stored, or another
/// web node deleted, refreshes the open pages of its session on every web node) and a revoked access token (its hub
/// connections close on every web node, not only the one that revoked it).
/// </summary>
public sealed class RedisNodeBroadcasts(IConnectionMultiplexer redis, RedisJobStore store, GalleryNotifier notifier,
    Microsoft.Extensions.Options.IOptions<EngineOptions> engine, ILogger<RedisNodeBroadcasts> log, AccessTokenConnections? tokenConnections = null) : IHostedService
{
    readonly string node = Guid.NewGuid().ToString("N"); // a process ignores its own messages: it acted on them already
    readonly RedisChannel galleryChannel = RedisChannel.Literal(engine.Value.KeyPrefix + "gallery");
    readonly RedisChannel revokedChannel = RedisChannel.Literal(engine.Value.KeyPrefix + "token-revoked");
    readonly CancellationTokenSource stopping = new();
    readonly List<Task<ChannelMessageQueue?>> subscriptions = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Not awaited: the process starts even while Redis is down, and subscribes once it is back.
        subscriptions.Add(Subscribe(galleryChannel, text =>
        {
            if (Guid.TryParse(text, out var owner)) notifier.NotifyHere(owner);
        }));
        notifier.Broadcast = owner => Publish(galleryChannel, owner.ToString());
        if (tokenConnections is not null) // a web node (a worker has no hub)
        {
            subscriptions.Add(Subscribe(revokedChannel, tokenConnections.CloseHere));
            tokenConnections.Broadcast = tokenId => Publish(revokedChannel, tokenId);
        }
        return Task.CompletedTask;
    }

    Task<ChannelMessageQueue?> Subscribe(RedisChannel channel, Action<string> fromOtherNode) =>
        store.SubscribeAsync(channel, message =>
        {
            var text = (string)message.Message!;
            int bar = text.IndexOf('|');
            if (bar > 0 && text[..bar] != node) fromOtherNode(text[(bar + 1)..]);
        }, log, stopping.Token);

    void Publish(RedisChannel channel, string text) => redis.GetSubscriber().Publish(channel, $"{node}|{text}", CommandFlags.FireAndForget);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        notifier.Broadcast = null;
        if (tokenConnections is not null) tokenConnections.Broadcast = null;
        stopping.Cancel();
        foreach (var subscription in subscriptions)
            if (subscription is { IsCompletedSuccessfully: true, Result: { } queue }) await queue.UnsubscribeAsync();
    }
}
