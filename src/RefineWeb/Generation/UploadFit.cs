using RefineWeb.Engine.Imaging;

namespace RefineWeb.Generation;

/// <summary>What to do with an upload that is not square (the model works on squares): keep it (it is scaled to a
/// square when refined or upscaled), cut the middle square out, or add white around it (the background the model knows).</summary>
public enum UploadFit { Keep, Crop, Pad }

public static class UploadFitting
{
    /// <summary>The picture made square as asked; a square picture, or <see cref="UploadFit.Keep"/>, comes back as it is.</summary>
    public static RgbImage Apply(RgbImage image, UploadFit fit)
    {
        if (fit == UploadFit.Keep || image.Width == image.Height) return image;
        var (side, _) = Size(image.Width, image.Height, fit);
        var pixels = new byte[side * side * 3];
        if (fit == UploadFit.Pad) Array.Fill(pixels, (byte)255);
        // Centred: the offset of the source in the square (pad) or of the square in the source (crop), per axis.
        int shiftX = (side - image.Width) / 2, shiftY = (side - image.Height) / 2;
        for (int y = 0; y < side; y++)
        {
            int sourceY = y - shiftY;
            if (sourceY < 0 || sourceY >= image.Height) continue;
            int firstX = Math.Max(0, shiftX), lastX = Math.Min(side, image.Width + shiftX); // the square's columns the source covers
            Buffer.BlockCopy(image.Pixels, (sourceY * image.Width + firstX - shiftX) * 3, pixels, (y * side + firstX) * 3, (lastX - firstX) * 3);
        }
        return new RgbImage(side, side, pixels);
    }

    /// <summary>The size a picture of <paramref name="width"/> x <paramref name="height"/> has once fitted.</summary>
    public static (int Width, int Height) Size(int width, int height, UploadFit fit) => fit switch
    {
        UploadFit.Crop => (Math.Min(width, height), Math.Min(width, height)),
        UploadFit.Pad => (Math.Max(width, height), Math.Max(width, height)),
        _ => (width, height),
    };

    /// <summary>"crop", "pad", "keep" or nothing (keep); null for anything else.</summary>
    public static UploadFit? Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "keep" => UploadFit.Keep,
        "crop" => UploadFit.Crop,
        "pad" => UploadFit.Pad,
        _ => null,
    };
}
