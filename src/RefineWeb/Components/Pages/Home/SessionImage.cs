using RefineWeb.Generation;

namespace RefineWeb.Components.Pages.Home;

/// <summary>An image made or uploaded in this browser tab, as the page lists it.</summary>
public sealed record SessionImage(string Id, int Width, int Height, ImageOrigin Origin, string? Prompt)
{
    public string Url => $"/api/v1/images/{Id}.png";

    public static SessionImage Of(StoredImage image) => new(image.Id, image.Width, image.Height, image.Lineage.Origin, image.Lineage.Prompt);
}
