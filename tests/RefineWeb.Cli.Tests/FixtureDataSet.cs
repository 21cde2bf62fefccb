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

    /// <summary>
    /// 24 images; every fourth is validation. With <paramref name="larger"/>, every other one also at 128 px (as
    /// <c>data build</c> writes the vector art's), the others without.
    /// </summary>
    public static void Write(string directory, bool larger = false)
    {
        Directory.CreateDirectory(Path.Combine(directory, "images"));
        var lines = new List<string>();
        int i = 0;
        foreach (var (name, color) in Colors)
            foreach (var shape in Shapes)
            {
                var id = $"{name}-{shape}";
                var relative = $"images/{id}.png";
                Draw(Path.Combine(directory, relative), 64, color, shape);
                List<DatasetImage> high = [];
                if (larger && i % 2 == 0)
                {
                    var large = $"images128/{id}.png";
                    Directory.CreateDirectory(Path.Combine(directory, "images128"));
                    Draw(Path.Combine(directory, large), 128, color, shape);
                    high.Add(new DatasetImage(128, large, "fixture", "CC0-1.0"));
                }
                var record = new DatasetRecord
                {
                    Id = id, Hexcode = id, Style = "fixture", Image = relative, HighResolution = high, Label = $"{name} {shape}",
                    Captions = [$"{name} {shape}", $"{name} {shape}, shape", $"fixture {name} {shape}"],
                    SourcePackage = "fixture", License = "CC0-1.0", Category = "objects", Colour = name,
                    Split = i++ % 4 == 3 ? DatasetRecord.Validation : DatasetRecord.Train,
                };
                lines.Add(JsonSerializer.Serialize(record, DatasetRecord.Json));
            }
        File.WriteAllLines(Path.Combine(directory, "manifest.jsonl"), lines);
    }

    static void Draw(string path, int side, SKColor color, string shape)
    {
        float k = side / 64f;
        using var surface = SKSurface.Create(new SKImageInfo(side, side));
        surface.Canvas.Clear(SKColors.White);
        using var paint = new SKPaint { Color = color, IsAntialias = true, StrokeWidth = 8 * k, Style = shape == "ring" ? SKPaintStyle.Stroke : SKPaintStyle.Fill };
        if (shape == "square") surface.Canvas.DrawRect(16 * k, 16 * k, 32 * k, 32 * k, paint);
        else surface.Canvas.DrawCircle(32 * k, 32 * k, (shape == "heart" ? 16 : 22) * k, paint);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }
}
