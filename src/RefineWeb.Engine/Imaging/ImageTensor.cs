using RefineWeb.Engine.Runtime;
using SkiaSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Imaging;

/// <summary>Conversions between image tensors ([3, H, W] floats in [-1, 1]) and encoded images, via SkiaSharp.</summary>
public static class ImageTensor
{
    /// <summary>Encodes one image tensor as PNG (RGB, opaque).</summary>
    public static byte[] ToPng(Tensor image) => ToRgb(image).ToPng();

    /// <summary>[3, H, W] in [-1, 1] to an RGBA8888 bitmap (rounded, clamped).</summary>
    public static SKBitmap ToBitmap(Tensor image) => ToRgb(image).ToBitmap();

    /// <summary>[3, H, W] in [-1, 1] to 8-bit RGB in memory (rounded, clamped).</summary>
    public static RgbImage ToRgb(Tensor image)
    {
        if (image.dim() != 3 || image.shape[0] != 3) throw new ArgumentException($"Expected [3, H, W], got [{string.Join(", ", image.shape)}].");
        return ToRgbBatch(image.unsqueeze(0))[0];
    }

    /// <summary>[B, 3, H, W] in [-1, 1] to B 8-bit RGB images, in one conversion for the whole batch.</summary>
    public static RgbImage[] ToRgbBatch(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 3) throw new ArgumentException($"Expected [B, 3, H, W], got [{string.Join(", ", images.shape)}].");
        int count = (int)images.shape[0], height = (int)images.shape[2], width = (int)images.shape[3];
        byte[] all;
        using (NewDisposeScope())
        {
            var bytes = images.detach().cpu().to(ScalarType.Float32).Plus(1).Times(127.5).round().ClampTo(0, 255).to(ScalarType.Byte);
            all = bytes.permute(0, 2, 3, 1).contiguous().data<byte>().ToArray();
        }
        int size = height * width * 3;
        return [.. Enumerable.Range(0, count).Select(i => new RgbImage(width, height, all[(i * size)..((i + 1) * size)]))];
    }

    /// <summary>8-bit RGB to [3, H, W] in [-1, 1].</summary>
    public static Tensor FromRgb(RgbImage image)
    {
        using var scope = NewDisposeScope();
        var result = tensor(image.Pixels, [image.Height, image.Width, 3]).permute(2, 0, 1).to(ScalarType.Float32).Over(127.5).Minus(1);
        return result.contiguous().MoveToOuterDisposeScope();
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
        var result = tensor(rgb, [height, width, 3]).permute(2, 0, 1).to(ScalarType.Float32).Over(127.5).Minus(1);
        return result.contiguous().MoveToOuterDisposeScope();
    }
}
