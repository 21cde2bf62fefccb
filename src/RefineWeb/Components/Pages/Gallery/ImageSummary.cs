using System.Globalization;
using RefineWeb.Gallery;
using RefineWeb.Generation;

namespace RefineWeb.Components.Pages.Gallery;

/// <summary>The lines a gallery card or a shared page shows under an image.</summary>
public static class ImageSummary
{
    public static string Title(StoredImage image) => image.Prompt is { Length: > 0 } prompt ? prompt : image.Origin == ImageOrigin.Uploaded ? "Uploaded image" : "(no prompt)";

    /// <summary>"16 → 32 → 64 px" for a cascade run, otherwise the size.</summary>
    public static string Resolutions(StoredImage image, IReadOnlyList<int> modelResolutions)
    {
        if (image.Origin == ImageOrigin.Generated && image.Parameters?.Stages is { } stages && stages <= modelResolutions.Count)
            return string.Join(" → ", modelResolutions.Take(stages)) + " px";
        return $"{image.Width}x{image.Height} px";
    }

    /// <summary>"Steps: 20/10/8 · Guidance: 3 · Sampler: ddim · Seed: 42", in the words the PNG's settings use (every setting a request has).</summary>
    public static string Settings(StoredImage image)
    {
        if (image.Parameters is not { } p) return "";
        var parts = p.Describe().ToList();
        if (p.Strength is { } s) parts.Add($"Strength: {s.ToString("0.##", CultureInfo.InvariantCulture)}");
        if (p.NegativePrompt is { Length: > 0 } negative) parts.Add($"Negative: {negative}");
        return string.Join(" · ", parts);
    }

    public static string Verb(ImageOrigin origin) => origin switch
    {
        ImageOrigin.Generated => "Generated",
        ImageOrigin.Refined => "Refined",
        ImageOrigin.Upscaled => "Upscaled",
        ImageOrigin.Realigned => "Re-aligned",
        _ => "Uploaded",
    };
}
