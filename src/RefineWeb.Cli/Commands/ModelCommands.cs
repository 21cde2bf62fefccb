using System.CommandLine;
using RefineWeb.Datasets;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Semantic;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Text;
using RefineWeb.Engine.Training;
using TorchSharp;

namespace RefineWeb.Cli.Commands;

/// <summary>
/// <c>refineweb model init</c>: a new model folder with initial weights, the trainer's starting point;
/// <c>refineweb model references</c>: the reference index that semantic guidance retrieves from.
/// </summary>
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
        return new Command("model", "Create and inspect model folders.") { init, References(output) };
    }

    static Command References(TextWriter output)
    {
        var modelOption = new Option<string>("--model") { Description = "Model folder (with a trained alignment model).", DefaultValueFactory = _ => "models/emoji-cascade-v1" };
        var dataOption = new Option<string>("--data") { Description = "Data set folder (manifest.jsonl).", DefaultValueFactory = _ => "data/emoji" };
        var deviceOption = new Option<ComputeDevice>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => ComputeDevice.Auto };
        var command = new Command("references", $"Embed the training images with the alignment model into {ReferenceIndex.FileName} (semantic guidance's references).")
        {
            modelOption, dataOption, deviceOption,
        };
        command.SetAction((parse, _) => CliErrors.Guard(async () =>
        {
            var directory = parse.GetValue(modelOption)!;
            var examples = TrainCommand.Examples(parse.GetValue(dataOption)!, DatasetRecord.Train);
            using var cascade = CascadeModel.Load(directory, TorchRuntime.Resolve(parse.GetValue(deviceOption)));
            var alignment = cascade.Alignment ?? throw new ArgumentException($"{directory} has no alignment model (train it with `refineweb train --stage align`).");
            using var bank = ImageBank.Load(examples, cascade.Tokenizer);
            IEnumerable<torch.Tensor> Batches()
            {
                for (int start = 0; start < bank.Count; start += 256)
                {
                    using var indices = ScalarArguments.Range(start, Math.Min(start + 256, bank.Count), torch.ScalarType.Int64);
                    yield return bank.ImagesAt(indices, alignment.Config.InputResolution);
                }
            }
            using var index = ReferenceIndex.Build(alignment, Batches());
            var path = Path.Combine(directory, cascade.Manifest.References);
            index.Save(path);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using (ReferenceIndex.Load(path, alignment.Config.EmbeddingWidth, cascade.Device))
                clock.Stop();
            await output.WriteLineAsync($"{index.Count} reference images -> {path} ({new FileInfo(path).Length / 1024} KiB, loads in {clock.Elapsed.TotalMilliseconds:F0} ms)");
            return 0;
        }));
        return command;
    }
}
