using SkiaSharp;

namespace RefineWeb.Engine.Imaging;

/// <summary>
/// An 8-bit RGB image in plain memory: what leaves the engine thread, so that encoding (PNG) can happen on any
/// thread without touching tensors.
/// </summary>
public sealed record RgbImage(int Width, int Height, byte[] Pixels)
{
    /// <summary>An opaque RGBA8888 bitmap of this image.</summary>
    public SKBitmap ToBitmap()
    {
        var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var rgba = new byte[Width * Height * 4];
        for (int i = 0, j = 0; i < Pixels.Length; i += 3, j += 4)
        {
            rgba[j] = Pixels[i];
            rgba[j + 1] = Pixels[i + 1];
            rgba[j + 2] = Pixels[i + 2];
            rgba[j + 3] = 255;
        }
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        return bitmap;
    }

    public byte[] ToPng()
    {
        using var bitmap = ToBitmap();
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
