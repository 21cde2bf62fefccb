using RefineWeb.Contracts;
using RefineWeb.Data;
using RefineWeb.Data.Entities;

namespace RefineWeb.Gallery;

/// <summary>A gallery image as pages and the API show it (the bytes stay on disk until asked for).</summary>
public sealed record StoredImage(string Id, Guid OwnerId, int Width, int Height, ImageOrigin Origin, string? ParentId, bool HasMask,
    string? Prompt, ImageParameters? Parameters, DateTimeOffset CreatedAt)
{
    public string Url => Paths.ImagePng(Id);
    public string? MaskUrl => HasMask ? Paths.ImageMask(Id) : null;

    internal static StoredImage Of(ImageRecord row) => new(row.Id, row.OwnerId, row.Width, row.Height, Enum.Parse<ImageOrigin>(row.Origin), row.ParentId,
        row.MaskFileHash is not null, row.Prompt, ImageParameters.FromJson(row.ParametersJson), new DateTimeOffset(row.CreatedAt, TimeSpan.Zero));
}
