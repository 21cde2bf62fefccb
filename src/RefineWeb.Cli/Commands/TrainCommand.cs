using System.CommandLine;
using RefineWeb.Datasets;
using RefineWeb.Datasets.Emoji;
using RefineWeb.Engine.Models;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Text;
using RefineWeb.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Cli.Commands;

/// <summary>
/// <c>refineweb train</c>: trains one stage (or the alignment model) of a model folder on a data set built by
/// <c>data build</c>, and writes its EMA weights into the folder. Checkpoint, CSV log and sample grids go to --work.
/// </summary>
static class TrainCommand
{
    public static Command Create(TextWriter output)
    {
        var stage = new Option<string>("--stage") { Description = "base, refiner32, refiner64 (any stage of the model) or align.", Required = true };
        var data = new Option<string>("--data") { Description = "Data set folder (manifest.jsonl).", DefaultValueFactory = _ => "data/emoji" };
        var model = new Option<string>("--model") { Description = "Model folder: the stage's config is read there and its weights written there.", DefaultValueFactory = _ => "models/emoji-cascade-v1" };
        var work = new Option<string?>("--work") { Description = "Folder for checkpoint, log.csv and sample grids (default runs/<stage>)." };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps in all (the learning-rate schedule spans them).", DefaultValueFactory = _ => 10_000 };
        var batch = new Option<int>("--batch-size") { Description = "Images per step.", DefaultValueFactory = _ => 64 };
        var learningRate = new Option<double>("--learning-rate") { Description = "Peak AdamW learning rate.", DefaultValueFactory = _ => 5e-4 };
        var warmup = new Option<int>("--warmup") { Description = "Linear warm-up steps.", DefaultValueFactory = _ => 200 };
        var ema = new Option<double>("--ema") { Description = "EMA decay of the shipped weights.", DefaultValueFactory = _ => 0.999 };
        var crop = new Option<int>("--crop") { Description = "Refiners: train on random crops of this side (0 = whole images).", DefaultValueFactory = _ => 0 };
        var seed = new Option<long>("--seed") { Description = "Seed of the initial weights and of every batch.", DefaultValueFactory = _ => 0 };
        var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoint in --work." };
        var initFrom = new Option<string?>("--init-from") { Description = "Start a new run from these weights (a stage's .safetensors, e.g. the shipped model's) instead of random ones: fine-tuning." };
        var threads = new Option<int?>("--threads") { Description = "CPU threads for libtorch (default: all cores)." };
        var device = new Option<ComputeDevice>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => ComputeDevice.Auto };
        var logEvery = new Option<int>("--log-every") { Description = "Steps between progress lines and log rows.", DefaultValueFactory = _ => 10 };
        var sampleEvery = new Option<int>("--sample-every") { Description = "Steps between sample grids.", DefaultValueFactory = _ => 500 };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Steps between checkpoints.", DefaultValueFactory = _ => 250 };
        var balance = new Option<bool>("--balance-variants") { Description = "Draw every emoji (all its styles and skin tones together) equally often instead of every image." };
        var limit = new Option<int?>("--limit") { Description = "Train on the first N training images only (smoke tests)." };
        var edgeLoss = new Option<double>("--edge-loss") { Description = "Diffusion stages: weight of an edge loss (L1 between the predicted and true images' neighbour differences) added to the denoising loss; 0 = MSE alone.", DefaultValueFactory = _ => 0 };
        var layouts = new Option<double>("--layouts") { Description = "A stage with a layout channel (\"layout_channels\": 1 in its config): the share of each batch drawn as synthetic layouts (two emoji on one canvas, each row's caption and loss on its own region).", DefaultValueFactory = _ => 0 };
        var vectorArt = new Option<int?>("--vector-art") { Description = "Train a stage of 64 px or less on the vector art rendered at this size (128 or 256, as `data build` makes it), box-filtered down as the fidelity evaluation does, instead of the 64 px images." };

        var command = new Command("train", "Train one cascade stage or the alignment model (resumable, EMA, CSV log, sample grids).")
        {
            stage, data, model, work, steps, batch, learningRate, warmup, ema, crop, seed, resume, initFrom, threads, device, logEvery, sampleEvery, checkpointEvery, limit, balance, vectorArt, edgeLoss, layouts,
        };
        command.SetAction((parse, cancellation) => CliErrors.Guard(async () =>
        {
            var options = new TrainingOptions
            {
                Steps = parse.GetValue(steps),
                BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(learningRate),
                WarmupSteps = parse.GetValue(warmup),
                EmaDecay = parse.GetValue(ema),
                CropSize = parse.GetValue(crop),
                Seed = parse.GetValue(seed),
                LogEvery = parse.GetValue(logEvery),
                SampleEvery = parse.GetValue(sampleEvery),
                CheckpointEvery = parse.GetValue(checkpointEvery),
                EdgeLossWeight = parse.GetValue(edgeLoss),
                LayoutShare = parse.GetValue(layouts),
            };
            options.Validate();
            if (parse.GetValue(threads) is { } count)
            {
                if (count < 1) throw new ArgumentException("--threads must be at least 1.");
                set_num_threads(count);
            }
            var target = TorchRuntime.Resolve(parse.GetValue(device));
            var stageName = parse.GetValue(stage)!;
            var modelDirectory = parse.GetValue(model)!;
            var workDirectory = parse.GetValue(work) ?? Path.Combine("runs", stageName);

            var manifest = CascadeManifest.Load(modelDirectory);
            var tokenizer = WordTokenizer.Load(Path.Combine(modelDirectory, manifest.Tokenizer));

            manual_seed(options.Seed);
            var objective = CreateObjective(stageName, manifest, modelDirectory, tokenizer, target);
            using var module = objective.Module;
            if (options.LayoutShare > 0 && objective is not DiffusionObjective { Stage.Config.UNet.LayoutChannels: > 0 })
                throw new ArgumentException($"--layouts: stage '{stageName}' has no layout channel; set \"layout_channels\": 1 in the u_net of its config and start from its weights with --init-from.");
            int resolution = ImageResolution(objective, parse.GetValue(vectorArt));
            var examples = TrainingSet(parse.GetValue(data)!, parse.GetValue(limit), resolution);
            using var bank = ImageBank.Load(examples, tokenizer, resolution, balanceGroups: parse.GetValue(balance));
            await output.WriteLineAsync($"{stageName}: {module.parameters().Sum(p => p.numel()):N0} parameters, {bank.Count} training images, {options.Steps} steps of {options.BatchSize} on {target.type.ToString().ToLowerInvariant()} ({get_num_threads()} threads)");

            var bar = new ProgressLine(output, stageName);
            var trainer = new Trainer(objective, bank, options, workDirectory, stageName);
            int done = trainer.Run(parse.GetValue(resume), CascadeManifest.StageWeightsPath(modelDirectory, stageName),
                bar.Report, bar.Note, cancellation, parse.GetValue(initFrom));
            bar.Finish();
            await output.WriteLineAsync($"{stageName}: {done} steps; log {trainer.LogPath}; checkpoint {trainer.CheckpointDirectory}");
            return 0;
        }));
        return command;
    }

    static ITrainingObjective CreateObjective(string stageName, CascadeManifest manifest, string modelDirectory, WordTokenizer tokenizer, Device device)
    {
        if (stageName == manifest.Alignment)
        {
            var config = AlignmentConfig.Load(CascadeManifest.StageConfigPath(modelDirectory, stageName));
            CheckVocabulary(config.TextEncoder, tokenizer, stageName);
            return new AlignmentObjective(new AlignmentModel(config).to(device), device);
        }
        if (!manifest.Stages.Contains(stageName))
            throw new ArgumentException($"--stage '{stageName}' is not in {CascadeManifest.FileName}: choose {string.Join(", ", manifest.Stages)}{(manifest.Alignment is null ? "" : " or " + manifest.Alignment)}.");
        var stageConfig = StageConfig.Load(CascadeManifest.StageConfigPath(modelDirectory, stageName));
        CheckVocabulary(stageConfig.TextEncoder, tokenizer, stageName);
        return new DiffusionObjective(new DiffusionStage(stageConfig).to(device), device);
    }

    static void CheckVocabulary(TextEncoderConfig config, WordTokenizer tokenizer, string stageName)
    {
        if (config.VocabularySize != tokenizer.VocabularySize)
            throw new InvalidDataException($"Stage '{stageName}' expects {config.VocabularySize} words; the model's vocabulary has {tokenizer.VocabularySize}.");
    }

    /// <summary>
    /// The side of the pictures a stage trains on: the data set's 64 px images up to 64 px stages (and the alignment
    /// model), its vector art rendered at exactly the stage's resolution above that. <paramref name="vectorArtSize"/>:
    /// a diffusion stage of 64 px or less trains on the vector art rendered at that size instead, box-filtered down.
    /// </summary>
    static int ImageResolution(ITrainingObjective objective, int? vectorArtSize = null)
    {
        if (objective is not DiffusionObjective diffusion)
        {
            if (vectorArtSize is not null) throw new ArgumentException("--vector-art applies to a diffusion stage, not to the alignment model.");
            return DatasetRecord.NativeSize;
        }
        int resolution = diffusion.Stage.Config.Resolution;
        if (resolution > DatasetRecord.NativeSize)
            return vectorArtSize is null || vectorArtSize == resolution ? resolution
                : throw new ArgumentException($"--vector-art {vectorArtSize}: stage '{diffusion.Stage.Config.Name}' trains on the vector art at its own size ({resolution} px); leave the option out.");
        if (vectorArtSize is { } size)
            return size > DatasetRecord.NativeSize && size % resolution == 0 ? size
                : throw new ArgumentException($"--vector-art {size}: the vector art is rendered above {DatasetRecord.NativeSize} px and must box-filter to stage '{diffusion.Stage.Config.Name}' ({resolution} px); use 128 or 256.");
        return DatasetRecord.NativeSize;
    }

    /// <summary>The data set's training split (validation images are held out for evaluation).</summary>
    internal static IReadOnlyList<TrainingExample> TrainingSet(string dataDirectory, int? limit = null, int resolution = DatasetRecord.NativeSize) =>
        Examples(dataDirectory, DatasetRecord.Train, limit, resolution);

    /// <summary>The data set's manifest.jsonl, or an error that says how to make one.</summary>
    internal static string ManifestPath(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, DatasetBuilder.ManifestName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"No data set at {Path.GetFullPath(dataDirectory)}: manifest.jsonl is missing (run `refineweb data build`).", path);
        return path;
    }

    /// <summary>
    /// One split's examples with their pictures at <paramref name="resolution"/> px: the 64 px images, or for a larger
    /// size the records that have a picture of exactly that size (those without one are left out). With
    /// <paramref name="originalsOnly"/>, derived images (recoloured copies) are left out too: the evaluation's captions
    /// and distractors stay those of the emoji sets, comparable across data builds.
    /// </summary>
    internal static IReadOnlyList<TrainingExample> Examples(string dataDirectory, string split, int? limit = null, int resolution = DatasetRecord.NativeSize,
        bool originalsOnly = false)
    {
        var manifestPath = ManifestPath(dataDirectory);
        var examples = DatasetRecord.ReadManifest(manifestPath).Where(r => r.Split == split && r.ImageAt(resolution) is not null && !(originalsOnly && r.Parent is not null))
            .Select(r => new TrainingExample(r.Id, Path.Combine(dataDirectory, r.ImageAt(resolution)!), r.Captions, EmojiVariants.GroupOf(r.Hexcode)))
            .Take(limit ?? int.MaxValue).ToList();
        if (examples.Count == 0)
            throw new InvalidDataException(resolution == DatasetRecord.NativeSize
                ? $"{manifestPath} has no {split} images."
                : $"{manifestPath} has no {split} images at {resolution} px (rebuild the data set with `refineweb data build`: it renders vector art at 128 and 256 px).");
        return examples;
    }
}
