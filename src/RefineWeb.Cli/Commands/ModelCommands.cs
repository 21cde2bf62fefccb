using System.CommandLine;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Text;

namespace RefineWeb.Cli.Commands;

/// <summary><c>refineweb model init</c>: a new model folder with initial weights, the trainer's starting point.</summary>
static class ModelCommands
{
    public static Command Create(TextWriter output)
    {
        var vocabOption = new Option<string>("--vocab") { Description = "Vocabulary file (from data build).", DefaultValueFactory = _ => "data/emoji/vocab.txt" };
        var outOption = new Option<string>("--out") { Description = "Model folder to create.", DefaultValueFactory = _ => "models/emoji-cascade-v1" };
        var presetOption = new Option<CascadePreset>("--preset") { Description = "Network sizes.", DefaultValueFactory = _ => CascadePreset.Emoji };
        var seedOption = new Option<long>("--seed") { Description = "Seed of the initial weights.", DefaultValueFactory = _ => 0 };
        var init = new Command("init", "Write cascade.json, the vocabulary, stage configs and seeded initial weights.")
        {
            vocabOption, outOption, presetOption, seedOption,
        };
        init.SetAction((parse, _) => CliErrors.Guard(async () =>
        {
            TorchRuntime.Initialize();
            var vocabulary = WordTokenizer.Load(parse.GetValue(vocabOption)!).Words;
            var directory = parse.GetValue(outOption)!;
            var manifest = CascadeBlueprint.Write(directory, vocabulary, parse.GetValue(presetOption), parse.GetValue(seedOption));
            await output.WriteLineAsync($"{manifest.Name}: {string.Join(" -> ", manifest.Stages)} in {directory}");
            return 0;
        }));
        return new Command("model", "Create and inspect model folders.") { init };
    }
}
