using RefineWeb.Gallery;
using StackExchange.Redis;

namespace RefineWeb.Generation.Queueing.Redis;

/// <summary>
/// Gallery changes across the cluster: an image a worker stored (or another web node deleted) refreshes the open
/// pages of its session on every web node, over one Redis pub/sub channel.
/// </summary>
public sealed class RedisGalleryChanges(IConnectionMultiplexer redis, GalleryNotifier notifier, Microsoft.Extensions.Options.IOptions<EngineOptions> engine)
    : IHostedService
{
    readonly string node = Guid.NewGuid().ToString("N"); // a process ignores its own messages: it notified its pages already
    readonly RedisChannel channel = RedisChannel.Literal(engine.Value.KeyPrefix + "gallery");
    ChannelMessageQueue? changes;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var subscriber = redis.GetSubscriber();
        changes = await subscriber.SubscribeAsync(channel);
        changes.OnMessage(message =>
        {
            var parts = ((string)message.Message!).Split('|');
            if (parts.Length == 2 && parts[0] != node && Guid.TryParse(parts[1], out var owner)) notifier.NotifyHere(owner);
        });
        notifier.Broadcast = owner => subscriber.Publish(channel, $"{node}|{owner}", CommandFlags.FireAndForget);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        notifier.Broadcast = null;
        if (changes is not null) await changes.UnsubscribeAsync();
    }
}
