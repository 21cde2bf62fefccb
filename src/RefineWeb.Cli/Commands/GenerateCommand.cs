using System.CommandLine;
using System.Diagnostics;
using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Text;
using RefineWeb.Engine.Schedulers;

namespace RefineWeb.Cli.Commands;

/// <summary><c>refineweb generate</c>: one prompt to PNG files through the cascade.</summary>
static class GenerateCommand
{
    public static Command Create(TextWriter output)
    {
        var prompt = new Option<string>("--prompt") { Description = "What to draw.", Required = true };
        var negative = new Option<string>("--negative-prompt") { Description = "What to steer away from.", DefaultValueFactory = _ => "" };
        var seed = new Option<long>("--seed") { Description = "Seed of the first image; further images use seed+1, seed+2, ...", DefaultValueFactory = _ => 0 };
        var count = new Option<int>("--count") { Description = "Number of images (1-4), batched.", DefaultValueFactory = _ => 1 };
        var steps = new Option<int[]>("--steps") { Description = "Denoising steps per stage, e.g. --steps 20 10 8 (default: each stage's).", AllowMultipleArgumentsPerToken = true };
        var guidance = new Option<double?>("--guidance") { Description = "Classifier-free guidance scale (default: each stage's)." };
        var stages = new Option<int?>("--stages") { Description = "Stop after this many stages (1 = the base only; default: every stage of the model, 5 for the built-in one)." };
        var sampler = new Option<SamplerKind>("--sampler") { Description = "Sampler.", DefaultValueFactory = _ => SamplerKind.DpmSolverPlusPlus2M };
        var model = new Option<string>("--model") { Description = "Model folder.", DefaultValueFactory = _ => "models/emoji-cascade-v1" };
        var device = new Option<ComputeDevice>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => ComputeDevice.Auto };
        var random = new Option<bool>("--random-weights") { Description = "Run with untrained initial weights (noise images; for development)." };
        var outFile = new Option<string>("--out") { Description = "PNG file; with --count > 1, -1, -2, ... are appended.", DefaultValueFactory = _ => "out.png" };

        var command = new Command("generate", "Generate images from a prompt.")
        {
            prompt, negative, seed, count, steps, guidance, stages, sampler, model, device, random, outFile,
        };
        command.SetAction((parse, cancellation) => CliErrors.Guard(async () =>
        {
            int images = parse.GetValue(count);
            if (images is < 1 or > 4) throw new ArgumentException("--count must be between 1 and 4.");
            if (string.IsNullOrWhiteSpace(parse.GetValue(prompt))) throw new ArgumentException("--prompt must not be empty.");

            // (word:1.4) emphasis: a malformed prompt stops here, with the parser's message, before anything loads.
            var emphasized = PromptEmphasis.Parse(parse.GetValue(prompt)!);
            using var cascade = CascadeModel.Load(parse.GetValue(model)!, TorchRuntime.Resolve(parse.GetValue(device)), parse.GetValue(random));
            var request = new CascadeRequest
            {
                Prompt = emphasized.Text,
                ItemEmphasis = [.. Enumerable.Repeat(emphasized.Phrases, images)],
                NegativePrompt = parse.GetValue(negative)!,
                Seeds = [.. Enumerable.Range(0, images).Select(i => parse.GetValue(seed) + i)],
                StepsPerStage = parse.GetValue(steps) is { Length: > 0 } s ? s : null,
                GuidanceScale = parse.GetValue(guidance),
                StageCount = parse.GetValue(stages),
                Sampler = parse.GetValue(sampler),
            };
            // Said before the work starts, so a script's log shows why the picture ignores a word.
            foreach (var unknown in cascade.Tokenizer.UnknownWords(emphasized.Text))
                await output.WriteLineAsync("warning: " + unknown.Message);
            foreach (var unknown in cascade.Tokenizer.UnknownWords(parse.GetValue(negative)!))
                await output.WriteLineAsync("warning: negative prompt: " + unknown.Message);
            var clock = Stopwatch.StartNew();
            using var result = new CascadePipeline(cascade).Generate(request, cancellation: cancellation);
            var paths = OutputPaths(parse.GetValue(outFile)!, images);
            for (int i = 0; i < images; i++)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(paths[i]))!);
                await File.WriteAllBytesAsync(paths[i], ImageTensor.ToPng(result[i]), cancellation);
                await output.WriteLineAsync($"{paths[i]} ({result.shape[3]}x{result.shape[2]}, seed {request.Seeds[i]})");
            }
            await output.WriteLineAsync($"done in {clock.Elapsed.TotalMilliseconds:F0} ms on {cascade.Device.type.ToString().ToLowerInvariant()}");
            return 0;
        }));
        return command;
    }

    static string[] OutputPaths(string path, int count) => count == 1
        ? [path]
        : [.. Enumerable.Range(1, count).Select(i => Path.Combine(Path.GetDirectoryName(path) ?? "", $"{Path.GetFileNameWithoutExtension(path)}-{i}{Path.GetExtension(path)}"))];
}
