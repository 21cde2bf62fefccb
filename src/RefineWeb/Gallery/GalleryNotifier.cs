namespace RefineWeb.Gallery;

/// <summary>Tells open pages that a session's gallery changed (another tab finished or deleted an image).</summary>
public sealed class GalleryNotifier
{
    /// <summary>Raised with the owner whose gallery changed; handlers must not block.</summary>
    public event Action<Guid>? Changed;

    public void Notify(Guid owner) => Changed?.Invoke(owner);
}
