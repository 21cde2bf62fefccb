using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using RefineWeb.Datasets;
using RefineWeb.Cli.Evaluation;
using RefineWeb.Engine.Evaluation;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Text;
using RefineWeb.Engine.Training;

namespace RefineWeb.Cli.Commands;

/// <summary><c>refineweb eval</c>: R-precision, refinement fidelity against bicubic, and speed, as one table and a JSON file.</summary>
static class EvalCommand
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create(TextWriter output)
    {
        var model = new Option<string>("--model") { Description = "Model folder.", DefaultValueFactory = _ => "models/emoji-cascade-v1" };
        var data = new Option<string>("--data") { Description = "Data set folder (manifest.jsonl).", DefaultValueFactory = _ => "data/emoji" };
        var prompts = new Option<int>("--prompts") { Description = "Captions per split for R-precision; 0 skips it.", DefaultValueFactory = _ => 200 };
        var distractors = new Option<int>("--distractors") { Description = "Other captions each true caption is ranked among.", DefaultValueFactory = _ => 99 };
        var images = new Option<int?>("--fidelity-images") { Description = "Validation images for PSNR/SSIM (default: all; 0 skips it)." };
        var strength = new Option<double?>("--refiner-strength") { Description = "Override every refiner's start strength (default: each stage's)." };
        var refinerSteps = new Option<int?>("--refiner-steps") { Description = "Override every refiner's step count in the fidelity measurement." };
        var refinerGuidance = new Option<double?>("--refiner-guidance") { Description = "Override every refiner's guidance scale in the fidelity measurement." };
        var runs = new Option<int>("--speed-runs") { Description = "Timed generations (after one warm-up); 0 skips speed.", DefaultValueFactory = _ => 9 };
        var seed = new Option<long>("--seed") { Description = "Seed of prompt choice and sampling.", DefaultValueFactory = _ => 0 };
        var outFile = new Option<string>("--out") { Description = "JSON report.", DefaultValueFactory = _ => "eval.json" };
        var device = new Option<ComputeDevice>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => ComputeDevice.Auto };
        var semantic = new Option<bool>("--semantic") { Description = "Measure word emphasis instead: the same seeds with and without an emphasized phrase." };
        var perCategory = new Option<int>("--per-category") { Description = "--semantic: prompts per category (colour, skin tone, person).", DefaultValueFactory = _ => 20 };
        var weight = new Option<double>("--weight") { Description = "--semantic: weight of the emphasized phrase.", DefaultValueFactory = _ => 1.5 };
        var semanticScale = new Option<double?>("--semantic-scale") { Description = "--semantic, --composition: strength of the semantic gradient (default: the model's)." };
        var composition = new Option<bool>("--composition") { Description = "Measure colour x object composition instead: held-out pairs (\"blue apple\"), plain and with the colour emphasized." };
        var cases = new Option<int>("--cases") { Description = "--composition: object x colour prompts.", DefaultValueFactory = _ => 80 };
        var otherObjects = new Option<int>("--other-objects") { Description = "--composition: other objects each object is ranked among.", DefaultValueFactory = _ => 9 };
        var judge = new Option<string?>("--judge") { Description = "R-precision, --composition and --regions: rank captions and recognise objects with this folder's alignment model (default: --model's), e.g. eval/judge, the independent judge." };
        var baseSteps = new Option<int?>("--base-steps") { Description = "R-precision, speed, --composition and --regions: the base stage's steps (default: the stage's), to measure fewer steps." };
        var harmonization = new Option<bool>("--harmonization") { Description = "Measure brush & refine instead: how visible a refined region's border is, plain and with RePaint's resampling." };
        var pictures = new Option<int>("--pictures") { Description = "--harmonization: validation pictures (one region each).", DefaultValueFactory = _ => 16 };
        var regions = new Option<bool>("--regions") { Description = "Measure prompts by region instead: two-part layouts of colour-and-object pairs, as one plain prompt and as a layout." };
        var layouts = new Option<int>("--layouts") { Description = "--regions: layouts of each kind (left-right, top-bottom, centre-background).", DefaultValueFactory = _ => 20 };
        var grid = new Option<string?>("--grid") { Description = "--regions: also write the first 8 layouts of each kind as a PNG grid (per kind, a row asked as one plain prompt above a row asked by region)." };
        var diversity = new Option<int>("--diversity") { Description = "--regions: layouts asked for 4 candidates each, plain and by region, to measure how different a request's candidates are; 0 skips it.", DefaultValueFactory = _ => 10 };
        var realign = new Option<bool>("--realign") { Description = "Measure re-align instead: pictures of colour-and-object pairs with a phrase that scores low, re-aligned, each phrase judged on its region by --judge (required) and by its colour." };
        var deepCache = new Option<int>("--deep-cache") { Description = "R-precision and speed: DeepCache on the base, a full network pass every N steps and the deep features reused in between (1: off).", DefaultValueFactory = _ => 1 };
        var minGain = new Option<double?>("--min-gain") { Description = "--realign: how much a candidate must raise its phrase's score to be kept (default: the engine's)." };
        var compositionSize = new Option<int>("--size") { Description = "--composition: stop the cascade at this size (px).", DefaultValueFactory = _ => 64 };

        var command = new Command("eval", "Measure the model: R-precision (train and validation captions), PSNR/SSIM of the refiners vs bicubic, speed.")
        {
            model, data, prompts, distractors, images, strength, baseSteps, refinerSteps, refinerGuidance, runs, seed, outFile, device, semantic, perCategory, weight, semanticScale,
            composition, cases, otherObjects, compositionSize, judge, harmonization, pictures, regions, layouts, diversity, grid, realign, minGain, deepCache,
        };
        command.SetAction((parse, cancellation) => CliErrors.Guard(async () =>
        {
            int promptCount = parse.GetValue(prompts), runCount = parse.GetValue(runs);
            if (promptCount < 0) throw new ArgumentException("--prompts cannot be negative.");
            if (runCount < 0) throw new ArgumentException("--speed-runs cannot be negative.");
            var dataDirectory = parse.GetValue(data)!;
            string OutFile(string fallback) => parse.GetResult(outFile) is { Implicit: false } ? parse.GetValue(outFile)! : fallback;
            if (parse.GetValue(composition))
            {
                var target = TorchRuntime.Resolve(parse.GetValue(device));
                using var composing = CascadeModel.Load(parse.GetValue(model)!, target);
                using var judging = parse.GetValue(judge) is { } judgeDirectory ? CascadeModel.Load(judgeDirectory, target) : null;
                return await Composition(composing, judging, dataDirectory, parse.GetValue(cases), parse.GetValue(otherObjects), parse.GetValue(weight),
                    parse.GetValue(compositionSize), parse.GetValue(semanticScale), parse.GetValue(seed), OutFile("eval-composition.json"), output, cancellation, parse.GetValue(baseSteps));
            }
            if (parse.GetValue(regions))
            {
                using var laying = CascadeModel.Load(parse.GetValue(model)!, TorchRuntime.Resolve(parse.GetValue(device)));
                using var regionJudge = parse.GetValue(judge) is { } regionJudgeDirectory ? CascadeModel.Load(regionJudgeDirectory, TorchRuntime.Resolve(parse.GetValue(device))) : null;
                return await Regions(laying, regionJudge, parse.GetValue(layouts), parse.GetValue(diversity), parse.GetValue(seed), OutFile("eval-regions.json"), output, cancellation, parse.GetValue(baseSteps), parse.GetValue(grid));
            }
            if (parse.GetValue(realign))
            {
                if (parse.GetValue(judge) is not { } realignJudgeDirectory) throw new ArgumentException("--realign needs --judge (e.g. eval/judge): a model that never chose the candidates.");
                int wanted = parse.GetResult(pictures) is { Implicit: false } ? parse.GetValue(pictures) : 40;
                if (wanted < 1) throw new ArgumentException("--pictures must be at least 1.");
                using var realigning = CascadeModel.Load(parse.GetValue(model)!, TorchRuntime.Resolve(parse.GetValue(device)));
                using var realignJudge = CascadeModel.Load(realignJudgeDirectory, TorchRuntime.Resolve(parse.GetValue(device)));
                await output.WriteLineAsync($"Re-align: pictures of colour-and-object pairs until {wanted} of each way of asking have a phrase that scores low...");
                var realigned = new RealignEvaluator(realigning, realignJudge, parse.GetValue(minGain)).Run(RegionsEvaluator.Cases(wanted * 2, parse.GetValue(seed)), wanted, line => output.WriteLine(line));
                await output.WriteLineAsync(EvaluationTable.Format(realigned));
                var realignPath = OutFile("eval-realign.json");
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(realignPath))!);
                await File.WriteAllTextAsync(realignPath, JsonSerializer.Serialize(realigned, Json), cancellation);
                await output.WriteLineAsync($"wrote {realignPath}");
                return 0;
            }
            if (parse.GetValue(harmonization))
            {
                using var refining = CascadeModel.Load(parse.GetValue(model)!, TorchRuntime.Resolve(parse.GetValue(device)));
                return await Harmonization(refining, dataDirectory, parse.GetValue(pictures), parse.GetValue(seed), OutFile("eval-harmonization.json"), output, cancellation);
            }
            var train = TrainCommand.Examples(dataDirectory, DatasetRecord.Train, originalsOnly: true);
            var validation = TrainCommand.Examples(dataDirectory, DatasetRecord.Validation, originalsOnly: true);
            using var cascade = CascadeModel.Load(parse.GetValue(model)!, TorchRuntime.Resolve(parse.GetValue(device)));
            using var rankingJudge = parse.GetValue(judge) is { } rankingDirectory ? CascadeModel.Load(rankingDirectory, TorchRuntime.Resolve(parse.GetValue(device))) : null;
            if (parse.GetValue(semantic))
                return await Semantic(cascade, train, validation, parse.GetValue(perCategory), parse.GetValue(weight), parse.GetValue(semanticScale),
                    parse.GetValue(distractors), parse.GetValue(seed), OutFile("eval-semantic.json"), output, cancellation);
            var evaluator = new CascadeEvaluator(cascade, refinerOverrides: new RefinerOverrides(
                parse.GetValue(refinerSteps), parse.GetValue(refinerGuidance), parse.GetValue(strength)), judge: rankingJudge, baseSteps: parse.GetValue(baseSteps),
                deepCache: parse.GetValue(deepCache) >= 1 ? parse.GetValue(deepCache) : throw new ArgumentException("--deep-cache must be at least 1."));
            long seedValue = parse.GetValue(seed);

            var alignment = new List<RPrecisionResult>();
            var allLabels = train.Concat(validation).Select(e => e.Captions[0]).ToList();
            foreach (var (split, examples) in promptCount == 0 ? [] : new[] { ("train", train), ("validation", validation) })
            {
                var chosen = Choose(examples, promptCount, seedValue).Select(e => e.Captions[0]).ToList();
                await output.WriteLineAsync($"R-precision: {chosen.Count} {split} captions...");
                alignment.Add(evaluator.RPrecision(split, chosen, allLabels, parse.GetValue(distractors), seedValue));
            }

            int fidelityCount = parse.GetValue(images) ?? validation.Count;
            var fidelityExamples = validation.Take(fidelityCount).ToList();
            await output.WriteLineAsync($"Fidelity: {fidelityExamples.Count} validation images...");
            var fidelity = new List<FidelityResult>();
            if (fidelityExamples.Count > 0)
                using (var truth = ImageBank.Load(fidelityExamples, cascade.Tokenizer))
                    fidelity.AddRange(evaluator.Fidelity(truth, seedValue, truthName: $"{DatasetRecord.NativeSize} px images"));
            // Every refiner again on the vector art rendered at the model's largest size (the only truth above 64 px).
            int largest = cascade.Stages[^1].Config.Resolution;
            if (largest > DatasetRecord.NativeSize && fidelityCount > 0)
            {
                var large = TrainCommand.Examples(dataDirectory, DatasetRecord.Validation, resolution: largest).Take(fidelityCount).ToList();
                await output.WriteLineAsync($"Fidelity at {largest} px: {large.Count} validation images (vector art)...");
                using var truth = ImageBank.Load(large, cascade.Tokenizer, largest);
                fidelity.AddRange(evaluator.Fidelity(truth, seedValue, truthName: "vector art"));
            }

            SpeedResult? speed = null;
            if (runCount > 0)
            {
                await output.WriteLineAsync($"Speed: {runCount} generations...");
                speed = evaluator.Speed(runs: runCount);
            }

            var report = new EvaluationReport(cascade.Manifest.Name, DateTimeOffset.UtcNow, alignment, fidelity, speed);
            await output.WriteLineAsync(EvaluationTable.Format(report));
            var path = parse.GetValue(outFile)!;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await File.WriteAllTextAsync(path, JsonSerializer.Serialize(report, Json), cancellation);
            await output.WriteLineAsync($"wrote {path}");
            return 0;
        }));
        return command;
    }

    static async Task<int> Semantic(CascadeModel cascade, IReadOnlyList<TrainingExample> train, IReadOnlyList<TrainingExample> validation, int perCategory,
        double weight, double? scale, int distractors, long seed, string path, TextWriter output, CancellationToken cancellation)
    {
        if (perCategory < 1) throw new ArgumentException("--per-category must be at least 1.");
        if (weight is < PromptEmphasis.MinWeight or > PromptEmphasis.MaxWeight) throw new ArgumentException($"--weight must be between {PromptEmphasis.MinWeight} and {PromptEmphasis.MaxWeight}.");
        var cases = SemanticCases.FromCaptions(train.Select(e => e.Captions[0]), perCategory, seed);
        await output.WriteLineAsync($"Semantic emphasis: {cases.Count} prompts ({string.Join(", ", cases.GroupBy(c => c.Category).Select(g => $"{g.Count()} {g.Key}"))}), weight {weight}");
        var report = new SemanticEvaluator(cascade).Run(cases, [.. train.Concat(validation).Select(e => e.Captions[0])], weight, scale, distractors, seed,
            line => output.WriteLine(line));
        await output.WriteLineAsync(EvaluationTable.Format(report));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(report, Json), cancellation);
        await output.WriteLineAsync($"wrote {path}");
        return 0;
    }

    static async Task<int> Composition(CascadeModel cascade, CascadeModel? judge, string dataDirectory, int count, int otherObjects, double weight, int size, double? scale, long seed,
        string path, TextWriter output, CancellationToken cancellation, int? baseSteps = null)
    {
        if (count < 1) throw new ArgumentException("--cases must be at least 1.");
        if (otherObjects < 1) throw new ArgumentException("--other-objects must be at least 1.");
        if (weight is < PromptEmphasis.MinWeight or > PromptEmphasis.MaxWeight) throw new ArgumentException($"--weight must be between {PromptEmphasis.MinWeight} and {PromptEmphasis.MaxWeight}.");
        var records = DatasetRecord.ReadManifest(TrainCommand.ManifestPath(dataDirectory));
        var cases = CompositionCases.FromManifest(records, count, otherObjects, seed);
        await output.WriteLineAsync($"Composition: {cases.Count} held-out object x colour prompts ({string.Join(", ", cases.CountBy(c => c.Colour).Select(g => $"{g.Value} {g.Key}"))}), weight {weight}");
        var report = new CompositionEvaluator(cascade, judge: judge, baseSteps: baseSteps).Run(cases, weight, size, seed, line => output.WriteLine(line), scale);
        await output.WriteLineAsync(EvaluationTable.Format(report));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(report, Json), cancellation);
        await output.WriteLineAsync($"wrote {path}");
        return 0;
    }

    const double Strength = RefinementRequest.DefaultStrength;

    static async Task<int> Harmonization(CascadeModel cascade, string dataDirectory, int count, long seed, string path, TextWriter output, CancellationToken cancellation)
    {
        if (count < 1) throw new ArgumentException("--pictures must be at least 1.");
        int size = cascade.Stages[^1].Config.Resolution;
        var examples = Choose(TrainCommand.Examples(dataDirectory, DatasetRecord.Validation, resolution: size, originalsOnly: true), count, seed);
        var defaults = cascade.Stages.Select(s => s.Config.DefaultSteps).ToList();
        List<HarmonizationVariant> variants =
        [
            new("the region's strength at every stage (before)", RefinerStrength: Strength),
            new("the model's setting", RefinerStrength: null),
            new("before, resample x2 at the base", 2, 1, RefinerStrength: Strength),
            new("before, resample x2 at every stage", 2, defaults.Count, RefinerStrength: Strength),
            new("before, double steps at every refiner", Steps: [.. defaults.Select((steps, i) => i > 0 ? 2 * steps : steps)], RefinerStrength: Strength),
            new("refiners from half noise, double steps", Steps: [.. defaults.Select((steps, i) => i > 0 ? 2 * steps : steps)], RefinerStrength: 0.5),
        ];
        await output.WriteLineAsync($"Harmonization: {examples.Count} validation pictures at {size} px, {variants.Count} variants");
        var report = new HarmonizationEvaluator(cascade).Run(examples, variants, Strength, seed, line => output.WriteLine(line));
        await output.WriteLineAsync(EvaluationTable.Format(report));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(report, Json), cancellation);
        await output.WriteLineAsync($"wrote {path}");
        return 0;
    }

    static async Task<int> Regions(CascadeModel cascade, CascadeModel? judge, int perKind, int diversityLayouts, long seed, string path, TextWriter output, CancellationToken cancellation,
        int? baseSteps = null, string? gridPath = null)
    {
        if (perKind < 1) throw new ArgumentException("--layouts must be at least 1.");
        var cases = RegionsEvaluator.Cases(perKind, seed);
        await output.WriteLineAsync($"Regions: {cases.Count} two-part layouts ({perKind} of each kind), each as one plain prompt and as a layout, same seeds");
        if (diversityLayouts < 0) throw new ArgumentException("--diversity cannot be negative.");
        var evaluator = new RegionsEvaluator(cascade, judge, baseSteps);
        // The grid's cells, kept on the CPU: per kind, the plain row then the row by region.
        var cells = RegionsEvaluator.Kinds.SelectMany(kind => new[] { (kind, false), (kind, true) }).ToDictionary(k => k, _ => new List<TorchSharp.torch.Tensor>());
        const int GridColumns = 8;
        var report = evaluator.Run(cases, line => output.WriteLine(line), gridPath is null ? null : (c, byRegion, picture) =>
        {
            var row = cells[(c.Kind, byRegion)];
            if (row.Count < GridColumns) row.Add(picture.detach().cpu().clone());
        });
        if (gridPath is not null)
        {
            var rows = cells.Values.Where(row => row.Count > 0).Select(row => TorchSharp.torch.cat(row.ToArray(), 0)).ToList();
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(gridPath))!);
            await File.WriteAllBytesAsync(gridPath, Engine.Imaging.ImageGrid.ToPng(rows, cell: 128), cancellation);
            foreach (var tensor in rows.Concat(cells.Values.SelectMany(row => row))) tensor.Dispose();
            await output.WriteLineAsync($"wrote {gridPath}");
        }
        if (diversityLayouts > 0)
        {
            await output.WriteLineAsync($"Diversity: {Math.Min(diversityLayouts, cases.Count)} layouts, 4 candidates each, plain and by region...");
            report = report with { Diversity = evaluator.Diversity(cases, diversityLayouts) };
        }
        await output.WriteLineAsync(EvaluationTable.Format(report));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(report, Json), cancellation);
        await output.WriteLineAsync($"wrote {path}");
        return 0;
    }

    /// <summary>A seeded sample without replacement (all of them when there are fewer).</summary>
    static IReadOnlyList<TrainingExample> Choose(IReadOnlyList<TrainingExample> examples, int count, long seed)
    {
        var shuffled = examples.ToArray();
        new Random(unchecked((int)seed)).Shuffle(shuffled);
        return shuffled.Take(count).ToList();
    }
}

/// <summary>The evaluation as a plain-text table (also pasted into MODEL_CARD.md).</summary>
static class EvaluationTable
{
    public static string Format(RegionsReport report)
    {
        var c = CultureInfo.InvariantCulture;
        var w = new StringWriter(c);
        w.WriteLine($"Two-part layouts at {report.Resolution} px{(report.BaseSteps is { } steps ? $", {steps} base steps" : "")}, judged by {report.Judge}: both parts their own colour (by kind), each part, the other part's colour covering a fifth or more of a part (leakage), time per image");
        bool judged = report.Variants.Any(v => v.ObjectsRight is not null);
        w.WriteLine($"| asked as | layouts | both right | {string.Join(" | ", RegionsEvaluator.Kinds)} | first part | second part | leakage | {(judged ? "objects right (judge) | colour and object right | object leakage | " : "")}s/image |");
        w.WriteLine($"|---|---:|---:|{string.Concat(RegionsEvaluator.Kinds.Select(_ => "---:|"))}---:|---:|---:|{(judged ? "---:|---:|---:|" : "")}---:|");
        foreach (var r in report.Variants)
            w.WriteLine(string.Format(c, "| {0} | {1} | {2:P0} | {3} | {4:P0} | {5:P0} | {6:P0} | {8}{7:F2} |", r.Variant, r.Layouts, r.BothRight,
                string.Join(" | ", RegionsEvaluator.Kinds.Select(k => r.BothRightByKind[k].ToString("P0", c))), r.FirstRight, r.SecondRight, r.Leakage, r.SecondsPerImage,
                judged ? string.Format(c, "{0:P0} | {1:P0} | {2:P0} | ", r.ObjectsRight ?? 0, r.AllRight ?? 0, r.ObjectLeakage ?? 0) : ""));
        if (report.Diversity is { } d)
            w.WriteLine(string.Format(c, "Diversity ({0} layouts, {1} candidates each): mean pairwise pixel distance {2:F1} levels as one plain prompt, {3:F1} by region", d.Layouts, d.Candidates, d.Plain, d.ByRegion));
        return w.ToString();
    }

    public static string Format(RealignReport report)
    {
        var c = CultureInfo.InvariantCulture;
        var w = new StringWriter(c);
        w.WriteLine($"Re-align at {report.Resolution} px on pictures with a phrase the shipped model scores low; the lowest phrase judged on its region by {report.Judge} and by its pixels' colour");
        w.WriteLine("| asked as | pictures (of made) | a candidate kept | low phrase rises (judge) | another phrase falls (judge) | its colour right, before → after | judge gain | shipped model's gain | s/picture |");
        w.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var v in report.Variants)
            w.WriteLine(string.Create(c, $"| {v.Variant} | {v.Pictures} ({v.Scanned}) | {v.Kept:P0} | {v.LowRisesByJudge:P0} | {v.OtherFallsByJudge:P0} | {v.ColourRightBefore:P0} → {v.ColourRightAfter:P0} | {v.JudgeGain:+0.000;-0.000} | {v.ModelGain:+0.000;-0.000} | {v.SecondsPerPicture:F1} |"));
        return w.ToString();
    }

    public static string Format(HarmonizationReport report)
    {
        var c = CultureInfo.InvariantCulture;
        var w = new StringWriter(c);
        w.WriteLine($"Brush & refine at {report.Resolution} px, strength {report.Strength}: border step above the texture beside it (0-255 levels; the unedited picture's in brackets), seams a person sees (> {HarmonizationEvaluator.VisibleExcess} levels above the parent's), colour-gap change, the region's sharpness over the art's, the region's score (parent's in brackets), time per image");
        w.WriteLine("| variant | seam excess | visible seams | colour-gap change | sharpness inside | region score | s/image |");
        w.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var v in report.Variants)
            w.WriteLine(string.Create(c, $"| {v.Variant} | {v.SeamExcess:F1} ({v.ParentSeamExcess:F1}) | {v.VisibleSeams:P0} | {v.ColourGapChange:F1} | {v.Sharpness:F2} | {v.RegionScore:F3} ({v.ParentRegionScore:F3}) | {v.SecondsPerImage:F1} |"));
        return w.ToString();
    }

    public static string Format(EvaluationReport report)
    {
        var c = CultureInfo.InvariantCulture;
        var w = new StringWriter(c);
        w.WriteLine($"| Text alignment ({report.Model}) | captions | R-precision top-1 | mean true similarity |");
        w.WriteLine("|---|---:|---:|---:|");
        foreach (var a in report.Alignment)
            w.WriteLine(string.Format(c, "| {0} captions, 1 of {1}{5}{6} | {2} | {3:F3} | {4:F3} |", a.Split, a.Distractors + 1, a.Prompts, a.Top1, a.MeanTrueSimilarity,
                a.Judge is { } judge ? $", judged by {Path.GetFileName(judge.TrimEnd('/'))}" : "", (a.BaseSteps is { } steps ? $", {steps} base steps" : "") + (a.DeepCache is { } interval ? $", DeepCache every {interval}" : "")));
        w.WriteLine();
        if (report.Fidelity.Count > 0)
        {
            w.WriteLine("| Refinement fidelity | truth | images | PSNR (dB) | bicubic PSNR | gain | SSIM | bicubic SSIM | gain | edge fidelity | bicubic's |");
            w.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        }
        foreach (var f in report.Fidelity)
            w.WriteLine(string.Format(c, "| {0} ({1} -> {2} px) | {10} | {3} | {4:F2} | {5:F2} | {6:+0.00;-0.00} | {7:F4} | {8:F4} | {9:+0.0000;-0.0000} | {11:F3} | {12:F3} |",
                f.Path, f.FromResolution, f.ToResolution, f.Images, f.Psnr, f.BicubicPsnr, f.PsnrGain, f.Ssim, f.BicubicSsim, f.SsimGain,
                f.Truth ?? "", f.EdgeFidelity, f.BicubicEdgeFidelity));
        if (report.Speed is { } s)
        {
            w.WriteLine();
            w.WriteLine($"| Speed ({s.Device}, {s.Threads} threads, median of {s.Runs}) | ms |");
            w.WriteLine("|---|---:|");
            w.WriteLine(string.Format(c, "| one {0} px image, default settings | {1:F0} |", s.Resolution, s.MedianImageMs));
            foreach (var (resolution, ms) in s.MedianImageMsByResolution)
                w.WriteLine(string.Format(c, "| one {0} px image (stopped at {0} px), same runs | {1:F0} |", resolution, ms));
            w.WriteLine(string.Format(c, "| first preview after the request | {0:F0} |", s.MedianFirstPreviewMs));
            foreach (var (stage, ms) in s.MedianStepMsByStage)
                w.WriteLine(string.Format(c, "| one denoising step, {0} | {1:F1} |", stage, ms));
        }
        return w.ToString().TrimEnd();
    }

    public static string Format(CompositionReport report)
    {
        var c = CultureInfo.InvariantCulture;
        var w = new StringWriter(c);
        w.WriteLine(string.Format(c, "| Composition ({0}, {1} px{6}, weight {2}, gradient scale {3}; objects judged by {4}) | prompts | object top-1 of {5}, greyscale | object top-3 | colour right | both |",
            report.Model, report.Resolution, report.Weight, report.SemanticGuidanceScale, Path.GetFileName(report.Judge.TrimEnd('/')), report.OtherObjects + 1,
            report.BaseSteps is { } steps ? $", {steps} base steps" : ""));
        w.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var r in report.Conditions)
            w.WriteLine(string.Format(c, "| {0} | {1} | {2:F3} | {3:F3} | {4:F3} | {5:F3} |", r.Condition, r.Prompts, r.ObjectTop1, r.ObjectTop3, r.ColourAccuracy, r.Both));
        w.WriteLine();
        var colours = report.Conditions[0].BothByColour.Keys.ToList();
        w.WriteLine($"| Both right, by colour | {string.Join(" | ", colours)} |");
        w.WriteLine($"|---|{string.Concat(colours.Select(_ => "---:|"))}");
        foreach (var r in report.Conditions)
            w.WriteLine($"| {r.Condition} | {string.Join(" | ", colours.Select(colour => r.BothByColour[colour].ToString("F2", c)))} |");
        return w.ToString().TrimEnd();
    }

    public static string Format(SemanticReport report)
    {
        var c = CultureInfo.InvariantCulture;
        var w = new StringWriter(c);
        w.WriteLine(string.Format(c, "| Emphasis ({0}, weight {1}, gradient scale {2}) | prompts | phrase similarity | phrase top-1 | prompt similarity | prompt top-1 (1 of {3}) | ms / image |",
            report.Model, report.Weight, report.SemanticGuidanceScale, report.PromptDistractors + 1));
        w.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in report.Conditions)
            w.WriteLine(string.Format(c, "| {0} | {1} | {2:F2} | {3:F3} | {4:F2} | {5:F3} | {6:F0} |",
                r.Condition, r.Prompts, r.PhraseSimilarity, r.PhraseTop1, r.PromptSimilarity, r.PromptTop1, r.MsPerImage));
        w.WriteLine(string.Format(c, "| one image alone (median of 5): plain {0:F0} ms, emphasized {1:F0} ms ({2:F2}x) |||||||",
            report.SingleImagePlainMs, report.SingleImageEmphasizedMs, report.SingleImageEmphasizedMs / report.SingleImagePlainMs));
        w.WriteLine();
        var categories = report.Conditions[0].PhraseTop1ByCategory.Keys.ToList();
        w.WriteLine($"| Phrase top-1 by category | {string.Join(" | ", categories.Select(category => $"{category} ({report.CasesPerCategory[category]})"))} |");
        w.WriteLine($"|---|{string.Concat(categories.Select(_ => "---:|"))}");
        foreach (var r in report.Conditions)
            w.WriteLine($"| {r.Condition} | {string.Join(" | ", categories.Select(category => r.PhraseTop1ByCategory[category].ToString("F2", c)))} |");
        return w.ToString().TrimEnd();
    }
}
