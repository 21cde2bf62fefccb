using System.CommandLine;
using System.Diagnostics;
using System.CommandLine.Parsing;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Requests;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Schedulers;
using RefineWeb.Engine.Serving;
using RefineWeb.Engine.Text;

namespace RefineWeb.Cli.Commands;

/// <summary><c>refineweb generate</c>: one prompt to PNG files through the cascade.</summary>
static class GenerateCommand
{
    public static Command Create(TextWriter output)
    {
        var prompt = new Option<string>("--prompt") { Description = "What to draw.", Required = true };
        var negative = new Option<string>("--negative-prompt") { Description = "What to steer away from.", DefaultValueFactory = _ => "" };
        var seed = new Option<long>("--seed") { Description = "Seed of the first image; further images use seed+1, seed+2, ...", DefaultValueFactory = _ => 0 };
        var count = new Option<int>("--count") { Description = $"Number of images (1-{GenerationLimits.MaxCount}), batched.", DefaultValueFactory = _ => 1 };
        var steps = new Option<int[]>("--steps") { Description = "Denoising steps per stage, e.g. --steps 20 10 8 (default: each stage's).", AllowMultipleArgumentsPerToken = true };
        var guidance = new Option<double?>("--guidance") { Description = "Classifier-free guidance scale (default: each stage's)." };
        var stages = new Option<int?>("--stages") { Description = "Stop after this many stages (1 = the base only; default: every stage of the model, 5 for the built-in one)." };
        var sampler = new Option<SamplerKind>("--sampler")
        {
            Description = $"Sampler: {string.Join(" or ", SamplerNames.All)}.", DefaultValueFactory = _ => SamplerKind.DpmSolverPlusPlus2M,
            CustomParser = result => SamplerNames.Parse(result.Tokens.Single().Value) is { } kind ? kind
                : Refuse(result, $"--sampler must be {string.Join(" or ", SamplerNames.All)}."),
        };
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
            using var cascade = CascadeModel.Load(parse.GetValue(model)!, TorchRuntime.Resolve(parse.GetValue(device)), parse.GetValue(random));
            // The request every edge makes, by the one parser and the limits the page and the API use.
            var (request, errors) = ImageRequest.Parse(new GenerationInput
            {
                Prompt = parse.GetValue(prompt) ?? "", NegativePrompt = parse.GetValue(negative), Seed = parse.GetValue(seed), Count = parse.GetValue(count),
                Steps = parse.GetValue(steps) is { Length: > 0 } s ? s : null, GuidanceScale = parse.GetValue(guidance), Stages = parse.GetValue(stages),
                Sampler = parse.GetValue(sampler),
            }, cascade.Stages.Count);
            if (request is null)
                throw new ArgumentException(string.Join(" ", errors.Select(e => $"--{OptionName(e.Key)}: {string.Join(" ", e.Value)}")));
            // Said before the work starts, so a script's log shows why the picture ignores a word.
            foreach (var unknown in cascade.UnknownWords(request.Emphasis.Text))
                await output.WriteLineAsync("warning: " + unknown.Message);
            foreach (var unknown in cascade.UnknownWords(request.NegativePrompt))
                await output.WriteLineAsync("warning: negative prompt: " + unknown.Message);
            var clock = Stopwatch.StartNew();
            var result = new ImageEngine(cascade).Run([request], cancellation: cancellation)[0];
            var paths = OutputPaths(parse.GetValue(outFile)!, result.Images.Count);
            for (int i = 0; i < result.Images.Count; i++)
            {
                var image = result.Images[i];
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(paths[i]))!);
                await File.WriteAllBytesAsync(paths[i], image.ToPng(), cancellation);
                await output.WriteLineAsync($"{paths[i]} ({image.Width}x{image.Height}, seed {request.Seeds[i]})");
            }
            await output.WriteLineAsync($"done in {clock.Elapsed.TotalMilliseconds:F0} ms on {cascade.Device.type.ToString().ToLowerInvariant()}");
            return 0;
        }));
        return command;
    }

    /// <summary>The option that sets a request field: "guidanceScale" is --guidance, "negativePrompt" --negative-prompt.</summary>
    static string OptionName(string field) => field switch
    {
        "guidanceScale" => "guidance",
        "negativePrompt" => "negative-prompt",
        _ => field,
    };

    static SamplerKind Refuse(ArgumentResult result, string message)
    {
        result.AddError(message);
        return default;
    }

    static string[] OutputPaths(string path, int count) => count == 1
        ? [path]
        : [.. Enumerable.Range(1, count).Select(i => Path.Combine(Path.GetDirectoryName(path) ?? "", $"{Path.GetFileNameWithoutExtension(path)}-{i}{Path.GetExtension(path)}"))];
}
