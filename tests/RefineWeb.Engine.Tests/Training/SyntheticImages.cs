using RefineWeb.Engine.Text;
using RefineWeb.Engine.Training;
using SkiaSharp;

namespace RefineWeb.Engine.Tests.Training;

/// <summary>A small training set drawn on the fly: coloured shapes on white, captioned with their colour and shape.</summary>
static class SyntheticImages
{
    static readonly (string Name, SKColor Color)[] Colors = [("red", SKColors.Red), ("blue", SKColors.Blue), ("green", SKColors.Green), ("yellow", SKColors.Gold)];
    static readonly string[] Shapes = ["circle", "square", "ring"];

    public static IReadOnlyList<string> Words => [.. Colors.Select(c => c.Name), .. Shapes];

    public static IReadOnlyList<TrainingExample> Write(string directory, int size = 64)
    {
        var examples = new List<TrainingExample>();
        foreach (var (name, color) in Colors)
            foreach (var shape in Shapes)
            {
                var path = Path.Combine(directory, $"{name}-{shape}.png");
                using (var surface = SKSurface.Create(new SKImageInfo(size, size)))
                {
                    var canvas = surface.Canvas;
                    canvas.Clear(SKColors.White);
                    using var paint = new SKPaint { Color = color, IsAntialias = true, StrokeWidth = size / 8f, Style = shape == "ring" ? SKPaintStyle.Stroke : SKPaintStyle.Fill };
                    if (shape == "square") canvas.DrawRect(size / 4f, size / 4f, size / 2f, size / 2f, paint);
                    else canvas.DrawCircle(size / 2f, size / 2f, size / 3f, paint);
                    using var image = surface.Snapshot();
                    using var data = image.Encode(SKEncodedImageFormat.Png, 100);
                    File.WriteAllBytes(path, data.ToArray());
                }
                examples.Add(new TrainingExample($"{name}-{shape}", path, [$"{name} {shape}", $"a {name} {shape} shape"]));
            }
        return examples;
    }
}

/// <summary>The synthetic set loaded as an <see cref="ImageBank"/> in a temporary folder.</summary>
public sealed class SyntheticBank : IDisposable
{
    public TempDirectory Directory { get; } = new();
    public WordTokenizer Tokenizer { get; } = new(WordTokenizer.BuildVocabulary(SyntheticImages.Words.Append("a shape")));
    public ImageBank Bank { get; }

    public SyntheticBank() => Bank = ImageBank.Load(SyntheticImages.Write(Directory.Path), Tokenizer);

    public void Dispose()
    {
        Bank.Dispose();
        Directory.Dispose();
    }
}
