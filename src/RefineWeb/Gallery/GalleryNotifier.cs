using System.Collections.Concurrent;

namespace RefineWeb.Gallery;

/// <summary>
/// Tells open pages that a session's gallery changed (another tab finished or deleted an image). A page subscribes
/// for its own session and disposes the subscription when it goes; nobody filters everyone else's changes.
/// </summary>
public sealed class GalleryNotifier
{
    readonly ConcurrentDictionary<Guid, ImmutableHandlers> byOwner = [];

    /// <summary>Calls <paramref name="onChange"/> whenever <paramref name="owner"/>'s gallery changes, until disposed; it must not block.</summary>
    public IDisposable Subscribe(Guid owner, Func<Task> onChange)
    {
        byOwner.AddOrUpdate(owner, _ => new([onChange]), (_, handlers) => new([.. handlers.Items, onChange]));
        return new Subscription(() =>
        {
            var left = byOwner.AddOrUpdate(owner, _ => new([]), (_, handlers) => new([.. handlers.Items.Where(h => h != onChange)]));
            if (left.Items.Length == 0) byOwner.TryRemove(KeyValuePair.Create(owner, left)); // only if nobody subscribed meanwhile
        });
    }

    /// <summary>In a cluster: tells the other processes too (set by the Redis relay); null in one process.</summary>
    internal Action<Guid>? Broadcast { get; set; }

    public void Notify(Guid owner)
    {
        NotifyHere(owner);
        Broadcast?.Invoke(owner);
    }

    /// <summary>This process's pages only (a change another process made).</summary>
    internal void NotifyHere(Guid owner)
    {
        if (byOwner.TryGetValue(owner, out var handlers))
            foreach (var handler in handlers.Items) _ = handler();
    }

    /// <summary>Handlers are swapped, never changed in place, so notifying needs no lock.</summary>
    sealed record ImmutableHandlers(Func<Task>[] Items);

    sealed class Subscription(Action remove) : IDisposable
    {
        int disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) remove();
        }
    }
}
