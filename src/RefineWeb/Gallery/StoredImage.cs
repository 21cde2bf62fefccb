using RefineWeb.Generation;

namespace RefineWeb.Gallery;

/// <summary>Where an image came from, as the engine hands it over: refinements bring their parent and mask.</summary>
public sealed record ImageLineage(ImageOrigin Origin, string? ParentId = null, byte[]? MaskPng = null, string? Prompt = null);

/// <summary>A gallery image as pages and the API show it (the bytes stay on disk until asked for).</summary>
public sealed record StoredImage(string Id, Guid OwnerId, int Width, int Height, ImageOrigin Origin, string? ParentId, bool HasMask,
    string? Prompt, ImageParameters? Parameters, DateTimeOffset CreatedAt)
{
    public string Url => $"/api/v1/images/{Id}.png";
    public string? MaskUrl => HasMask ? $"/api/v1/images/{Id}/mask.png" : null;

    internal static StoredImage Of(ImageRecord row) => new(row.Id, row.OwnerId, row.Width, row.Height, row.Origin, row.ParentId,
        row.MaskFileHash is not null, row.Prompt, ImageParameters.FromJson(row.ParametersJson), new DateTimeOffset(row.CreatedAt, TimeSpan.Zero));
}
