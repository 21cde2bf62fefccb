using RefineWeb.Engine.Imaging;

namespace RefineWeb.Gallery;

/// <summary>Uploads into the gallery, the same for the API and the page's drop area.</summary>
public static class UploadStore
{
    /// <summary>
    /// Keeps an accepted upload (re-encoded as PNG) with the settings its file carried, if any; a damaged settings
    /// chunk is dropped, not fatal.
    /// </summary>
    public static async Task<(StoredImage Image, ImageParameters? Parameters, string? Problem)> AddUploadAsync(this ImageStore images, Guid owner, RgbImage image, byte[] file,
        int stageCount, CancellationToken cancellation = default)
    {
        var (read, problem) = ImageParameters.Read(file);
        var (parameters, dropped) = read?.Checked(image.Width, image.Height, stageCount) ?? (null, []);
        if (dropped.Count > 0)
            problem = parameters is null ? "The image's settings were not kept: its prompt is not one this app accepts."
                : $"Some of the image's settings were outside the limits and were not kept ({string.Join(", ", dropped)}).";
        var png = image.ToPng();
        if (parameters is not null) png = parameters.AddTo(png);
        var stored = await images.AddAsync(owner, png, image.Width, image.Height, new ImageLineage(ImageOrigin.Uploaded, Prompt: parameters?.Prompt), parameters, cancellation);
        return (stored, parameters, problem);
    }

}
