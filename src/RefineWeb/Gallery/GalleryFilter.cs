using RefineWeb.Generation;

namespace RefineWeb.Gallery;

/// <summary>Which of a session's images to list: those whose prompt contains <see cref="Text"/> (any case), of one origin.</summary>
public sealed record GalleryFilter(string? Text = null, ImageOrigin? Origin = null)
{
    public const int MaxTextLength = 200;

    public bool IsEmpty => string.IsNullOrWhiteSpace(Text) && Origin is null;
}
