using SkiaSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Imaging;

/// <summary>Conversions between image tensors ([3, H, W] floats in [-1, 1]) and encoded images, via SkiaSharp.</summary>
public static class ImageTensor
{
    /// <summary>Encodes one image tensor as PNG (RGB, opaque).</summary>
    public static byte[] ToPng(Tensor image)
    {
        using var bitmap = ToBitmap(image);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>[3, H, W] in [-1, 1] to an RGBA8888 bitmap (rounded, clamped).</summary>
    public static SKBitmap ToBitmap(Tensor image)
    {
        if (image.dim() != 3 || image.shape[0] != 3) throw new ArgumentException($"Expected [3, H, W], got [{string.Join(", ", image.shape)}].");
        int height = (int)image.shape[1], width = (int)image.shape[2];
        byte[] rgb;
        using (NewDisposeScope())
        {
            var bytes = ((image.detach().cpu().to(ScalarType.Float32) + 1) * 127.5).round().clamp(0, 255).to(ScalarType.Byte);
            rgb = bytes.permute(1, 2, 0).contiguous().data<byte>().ToArray();
        }
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = new byte[width * height * 4];
        for (int i = 0, j = 0; i < rgb.Length; i += 3, j += 4)
        {
            pixels[j] = rgb[i];
            pixels[j + 1] = rgb[i + 1];
            pixels[j + 2] = rgb[i + 2];
            pixels[j + 3] = 255;
        }
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        return bitmap;
    }

    /// <summary>Decodes an image file's bytes to [3, H, W] in [-1, 1], compositing transparency on white.</summary>
    public static Tensor FromEncoded(byte[] encoded)
    {
        using var decoded = SKBitmap.Decode(encoded) ?? throw new InvalidDataException("The data is not an image SkiaSharp can decode.");
        using var opaque = WhiteComposite.Flatten(decoded);
        return FromBitmap(opaque);
    }

    /// <summary>An opaque bitmap to [3, H, W] in [-1, 1].</summary>
    public static Tensor FromBitmap(SKBitmap bitmap)
    {
        using var rgba = bitmap.ColorType == SKColorType.Rgba8888 ? null : bitmap.Copy(SKColorType.Rgba8888);
        var source = rgba ?? bitmap;
        var pixels = source.Bytes;
        int width = source.Width, height = source.Height;
        var rgb = new byte[width * height * 3];
        for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
        {
            rgb[j] = pixels[i];
            rgb[j + 1] = pixels[i + 1];
            rgb[j + 2] = pixels[i + 2];
        }
        using var scope = NewDisposeScope();
        var result = tensor(rgb, [height, width, 3]).permute(2, 0, 1).to(ScalarType.Float32) / 127.5 - 1;
        return result.contiguous().MoveToOuterDisposeScope();
    }
}
