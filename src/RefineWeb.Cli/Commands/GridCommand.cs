using System.CommandLine;
using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Text;

namespace RefineWeb.Cli.Commands;

/// <summary><c>refineweb grid</c>: one PNG of many prompts at default settings (the README's picture of the model).</summary>
static class GridCommand
{
    /// <summary>
    /// Objects, animals, faces and colours: the sixteen prompts of the model card's grid, then four colour x object
    /// pairs never seen in training (held out of the recoloured copies, <c>RecolourPlan.IsHeldOut</c>) with the
    /// colour emphasized.
    /// </summary>
    public static readonly string[] DefaultPrompts =
    [
        "red apple", "pizza", "rocket", "umbrella",
        "cat face", "dog face", "penguin", "fox",
        "grinning face", "smiling face with heart-eyes", "crying face", "face with tears of joy",
        "red heart", "blue heart", "green heart", "yellow heart",
        "(blue:1.5) banana", "(purple:1.5) frog", "(blue:1.5) taxi", "(purple:1.5) fox",
    ];

    /// <summary>
    /// Forty everyday emoji names (weather, plants, food, things, animals) that no training run singled out (unlike the
    /// dog face, rocket and pizza of the card's grid): the model card says how many of them a person would name.
    /// </summary>
    public static readonly string[] EverydayPrompts =
    [
        "sun", "crescent moon", "star", "cloud", "snowman", "fire", "rainbow", "deciduous tree",
        "sunflower", "cactus", "mushroom", "carrot", "grapes", "watermelon", "strawberry", "lemon",
        "hamburger", "ice cream", "birthday cake", "hot beverage", "house", "automobile", "bicycle", "airplane",
        "bus", "soccer ball", "guitar", "light bulb", "key", "alarm clock", "ghost", "robot",
        "snake", "turtle", "butterfly", "elephant", "rabbit face", "pig face", "monkey face", "owl",
    ];

    static readonly Dictionary<string, string[]> Sets = new() { ["card"] = DefaultPrompts, ["everyday"] = EverydayPrompts };

    public static Command Create(TextWriter output)
    {
        var prompts = new Option<string[]>("--prompt") { Description = "A prompt (repeat for several; default: the set's).", AllowMultipleArgumentsPerToken = false };
        var set = new Option<string>("--set") { Description = "Prompts when no --prompt is given: card (the model card's twenty) or everyday (forty everyday emoji names).", DefaultValueFactory = _ => "card" };
        var columns = new Option<int>("--columns") { Description = "Images per row.", DefaultValueFactory = _ => 4 };
        var seed = new Option<long>("--seed") { Description = "Seed of every image.", DefaultValueFactory = _ => 1 };
        var cell = new Option<int>("--cell") { Description = "Side of each image in the grid, px (default: the pictures' own size, at least 128; smaller ones are enlarged with crisp pixels).", DefaultValueFactory = _ => 0 };
        var model = new Option<string>("--model") { Description = "Model folder.", DefaultValueFactory = _ => "models/emoji-cascade-v1" };
        var outFile = new Option<string>("--out") { Description = "PNG file.", DefaultValueFactory = _ => "docs/samples.png" };
        var command = new Command("grid", "Render a grid of prompts at default settings to one PNG.") { prompts, set, columns, seed, cell, model, outFile };
        command.SetAction((parse, cancellation) => CliErrors.Guard(async () =>
        {
            if (!Sets.TryGetValue(parse.GetValue(set)!, out var named))
                throw new ArgumentException($"--set '{parse.GetValue(set)}' is not a prompt set: choose {string.Join(" or ", Sets.Keys)}.");
            var list = parse.GetValue(prompts) is { Length: > 0 } given ? given : named;
            int perRow = parse.GetValue(columns);
            if (perRow < 1) throw new ArgumentException("--columns must be at least 1.");
            if (parse.GetValue(cell) < 0) throw new ArgumentException("--cell must be positive (or 0 for the pictures' own size).");
            using var cascade = CascadeModel.Load(parse.GetValue(model)!, TorchRuntime.Resolve(ComputeDevice.Auto));
            var pipeline = new CascadePipeline(cascade);
            var rows = new List<TorchSharp.torch.Tensor>();
            try
            {
                // (word:1.5) emphasis as the page reads it: a malformed prompt stops here with the parser's message.
                var parsed = list.Select(PromptEmphasis.Parse).ToList();
                foreach (var chunk in parsed.Chunk(perRow))
                    rows.Add(pipeline.Generate(new CascadeRequest
                    {
                        Prompt = chunk[0].Text, ItemPrompts = [.. chunk.Select(p => p.Text)], ItemEmphasis = [.. chunk.Select(p => p.Phrases)],
                        Seeds = [.. chunk.Select(_ => parse.GetValue(seed))],
                    }, cancellation: cancellation));
                var path = parse.GetValue(outFile)!;
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                await File.WriteAllBytesAsync(path, ImageGrid.ToPng(rows, parse.GetValue(cell) is > 0 and var side ? side : Math.Max(128, (int)rows[0].shape[^1])), cancellation);
                await output.WriteLineAsync($"{path}: {list.Length} prompts, seed {parse.GetValue(seed)}");
                for (int r = 0; r * perRow < list.Length; r++)
                    await output.WriteLineAsync($"row {r + 1}: {string.Join(" | ", list.Skip(r * perRow).Take(perRow))}");
            }
            finally
            {
                foreach (var row in rows) row.Dispose();
            }
            return 0;
        }));
        return command;
    }
}
