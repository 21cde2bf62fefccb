using RefineWeb.Gallery;
using StackExchange.Redis;

namespace RefineWeb.Generation.Queueing.Redis;

/// <summary>
/// Gallery changes across the cluster: an image a worker stored (or another web node deleted) refreshes the open
/// pages of its session on every web node, over one Redis pub/sub channel.
/// </summary>
public sealed class RedisGalleryChanges(IConnectionMultiplexer redis, RedisJobStore store, GalleryNotifier notifier,
    Microsoft.Extensions.Options.IOptions<EngineOptions> engine, ILogger<RedisGalleryChanges> log) : IHostedService
{
    readonly string node = Guid.NewGuid().ToString("N"); // a process ignores its own messages: it notified its pages already
    readonly RedisChannel channel = RedisChannel.Literal(engine.Value.KeyPrefix + "gallery");
    readonly CancellationTokenSource stopping = new();
    Task<ChannelMessageQueue?>? changes;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var subscriber = redis.GetSubscriber();
        // Not awaited: the process starts even while Redis is down, and subscribes once it is back.
        changes = store.SubscribeAsync(channel, message =>
        {
            var parts = ((string)message.Message!).Split('|');
            if (parts.Length == 2 && parts[0] != node && Guid.TryParse(parts[1], out var owner)) notifier.NotifyHere(owner);
        }, log, stopping.Token);
        notifier.Broadcast = owner => subscriber.Publish(channel, $"{node}|{owner}", CommandFlags.FireAndForget);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        notifier.Broadcast = null;
        stopping.Cancel();
        if (changes is { IsCompletedSuccessfully: true, Result: { } subscription }) await subscription.UnsubscribeAsync();
    }
}
