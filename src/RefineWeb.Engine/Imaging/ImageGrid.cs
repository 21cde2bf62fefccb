using SkiaSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Imaging;

/// <summary>
/// Lays rows of image batches out as one PNG, every cell scaled to the same side: enlarged with nearest neighbour
/// (crisp pixels), reduced with a mipmapped linear filter (no aliasing).
/// </summary>
public static class ImageGrid
{
    /// <param name="rows">Each [N, 3, H, W] in [-1, 1]; rows may differ in resolution and length.</param>
    public static byte[] ToPng(IReadOnlyList<Tensor> rows, int cell = 64, int gap = 2)
    {
        if (rows.Count == 0) throw new ArgumentException("A grid needs at least one row.", nameof(rows));
        int columns = (int)rows.Max(r => r.shape[0]);
        using var surface = SKSurface.Create(new SKImageInfo(columns * (cell + gap) + gap, rows.Count * (cell + gap) + gap));
        var canvas = surface.Canvas;
        canvas.Clear(new SKColor(40, 40, 40));
        using var paint = new SKPaint();
        var enlarge = new SKSamplingOptions(SKFilterMode.Nearest);
        var reduce = new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear);
        for (int r = 0; r < rows.Count; r++)
            for (int c = 0; c < rows[r].shape[0]; c++)
            {
                using var image = rows[r][c];
                using var bitmap = ImageTensor.ToBitmap(image);
                using var skImage = SKImage.FromBitmap(bitmap);
                var destination = SKRect.Create(gap + c * (cell + gap), gap + r * (cell + gap), cell, cell);
                canvas.DrawImage(skImage, destination, bitmap.Width > cell ? reduce : enlarge, paint);
            }
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
