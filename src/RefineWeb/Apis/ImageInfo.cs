using RefineWeb.Gallery;

namespace RefineWeb.Apis;

/// <summary>GET /api/v1/images/{id} and the gallery: size, settings and lineage.</summary>
public sealed record ImageInfo(string Id, string Url, int Width, int Height, ImageOrigin Origin, string? ParentId, string? MaskUrl, string? Prompt,
    ImageParameters? Parameters, DateTimeOffset CreatedAt)
{
    public static ImageInfo Of(StoredImage image) => new(image.Id, image.Url, image.Width, image.Height, image.Origin,
        image.ParentId, image.MaskUrl, image.Prompt, image.Parameters, image.CreatedAt);
}
