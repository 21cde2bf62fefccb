using System.Text.Json;
using RefineWeb.Datasets;
using SkiaSharp;

namespace RefineWeb.Cli.Tests;

/// <summary>
/// A data set folder as <c>data build</c> writes it (manifest.jsonl, 64 px PNGs on white), drawn on the fly:
/// coloured shapes with their names as captions, split into train and validation.
/// </summary>
static class FixtureDataSet
{
    static readonly (string Name, SKColor Color)[] Colors =
        [("red", SKColors.Red), ("blue", SKColors.Blue), ("green", SKColors.Green), ("yellow", SKColors.Gold), ("purple", SKColors.Purple), ("orange", SKColors.Orange)];
    static readonly string[] Shapes = ["heart", "circle", "square", "ring"];

    public static IReadOnlyList<string> Words => [.. Colors.Select(c => c.Name), .. Shapes];

    /// <summary>24 images; every fourth is validation.</summary>
    public static void Write(string directory)
    {
        Directory.CreateDirectory(Path.Combine(directory, "images"));
        var lines = new List<string>();
        int i = 0;
        foreach (var (name, color) in Colors)
            foreach (var shape in Shapes)
            {
                var id = $"{name}-{shape}";
                var relative = $"images/{id}.png";
                using (var surface = SKSurface.Create(new SKImageInfo(64, 64)))
                {
                    surface.Canvas.Clear(SKColors.White);
                    using var paint = new SKPaint { Color = color, IsAntialias = true, StrokeWidth = 8, Style = shape == "ring" ? SKPaintStyle.Stroke : SKPaintStyle.Fill };
                    if (shape == "square") surface.Canvas.DrawRect(16, 16, 32, 32, paint);
                    else surface.Canvas.DrawCircle(32, 32, shape == "heart" ? 16 : 22, paint);
                    using var image = surface.Snapshot();
                    using var data = image.Encode(SKEncodedImageFormat.Png, 100);
                    File.WriteAllBytes(Path.Combine(directory, relative), data.ToArray());
                }
                var record = new DatasetRecord
                {
                    Id = id, Hexcode = id, Style = "fixture", Image = relative, Label = $"{name} {shape}",
                    Captions = [$"{name} {shape}", $"{name} {shape}, shape", $"fixture {name} {shape}"],
                    SourcePackage = "fixture", License = "CC0-1.0",
                    Split = i++ % 4 == 3 ? DatasetRecord.Validation : DatasetRecord.Train,
                };
                lines.Add(JsonSerializer.Serialize(record, DatasetRecord.Json));
            }
        File.WriteAllLines(Path.Combine(directory, "manifest.jsonl"), lines);
    }
}
