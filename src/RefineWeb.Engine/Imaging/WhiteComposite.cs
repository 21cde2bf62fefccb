using SkiaSharp;

namespace RefineWeb.Engine.Imaging;

/// <summary>Flattens transparency onto white, as the training images are.</summary>
public static class WhiteComposite
{
    public static SKBitmap Flatten(SKBitmap source)
    {
        var result = new SKBitmap(new SKImageInfo(source.Width, source.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(result);
        canvas.Clear(SKColors.White);
        canvas.DrawBitmap(source, 0, 0);
        return result;
    }
}
