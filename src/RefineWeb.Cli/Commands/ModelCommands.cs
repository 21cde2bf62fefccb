using System.CommandLine;
using RefineWeb.Datasets;
using RefineWeb.Datasets.Emoji;
using RefineWeb.Datasets.Lexicon;
using RefineWeb.Cli.Meanings;
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
        return new Command("model", "Create and inspect model folders.") { init, References(output), CalibrateScores(output), IndexMeanings(output) };
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

    /// <summary>
    /// <c>refineweb model index-meanings</c>: for every WordNet lemma and CLDR word the model does not know, the known
    /// words closest in meaning (<see cref="WordMeanings"/>), so an unknown word gets suggestions by meaning, not spelling.
    /// </summary>
    static Command IndexMeanings(TextWriter output)
    {
        var modelOption = new Option<string>("--model") { Description = "Model folder (with a trained alignment model).", DefaultValueFactory = _ => "models/emoji-cascade-v1" };
        var wordNetOption = new Option<string>("--wordnet") { Description = "WordNet's database folder (Debian: apt-get install wordnet-base).", DefaultValueFactory = _ => "/usr/share/wordnet" };
        var emojibaseOption = new Option<string>("--emojibase") { Description = "The emojibase-data package folder (CLDR labels and keywords).", DefaultValueFactory = _ => "data/npm/extracted/emojibase-data-17.0.0/package" };
        var deviceOption = new Option<ComputeDevice>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => ComputeDevice.Auto };
        var minimumOption = new Option<double>("--min-score") { Description = "Offer only neighbours whose cosine, less 0.1 per step in the lexicon, reaches this.", DefaultValueFactory = _ => MeaningIndex.MinimumScore };
        var explainOption = new Option<string?>("--explain") { Description = "Write nothing; print one word's contexts and every candidate's score." };
        var command = new Command("index-meanings", $"Index the known words closest in meaning to each unknown word into {WordMeanings.FileName} (the page's and API's suggestions).")
        {
            modelOption, wordNetOption, emojibaseOption, deviceOption, minimumOption, explainOption,
        };
        command.SetAction((parse, _) => CliErrors.Guard(async () =>
        {
            var directory = parse.GetValue(modelOption)!;
            var wordNet = WordNetDatabase.Load(parse.GetValue(wordNetOption)!);
            var emoji = EmojiCatalog.Load(parse.GetValue(emojibaseOption)!);
            var emojiTexts = WordNetNeighbourhoods.EmojiTexts(emoji);
            using var cascade = CascadeModel.Load(directory, TorchRuntime.Resolve(parse.GetValue(deviceOption)));
            var tokenizer = cascade.Tokenizer;
            if (parse.GetValue(explainOption) is { } explained)
            {
                var neighbourhood = WordNetNeighbourhoods.Of(explained.ToLowerInvariant(), wordNet, emojiTexts, tokenizer.Knows);
                foreach (var context in neighbourhood.Contexts) await output.WriteLineAsync($"context x{context.Weight:0.##}: {context.Text}");
                foreach (var (_, ranked) in MeaningIndex.Rank(cascade, [neighbourhood]))
                    foreach (var (word, score) in ranked)
                        await output.WriteLineAsync($"{score,7:0.000}  {word} (distance {neighbourhood.Candidates.Single(c => c.Word == word).Distance:0.#})");
                return 0;
            }
            var neighbourhoods = WordNetNeighbourhoods.UnknownWords(wordNet, emoji, tokenizer.Knows)
                .Select(word => WordNetNeighbourhoods.Of(word, wordNet, emojiTexts, tokenizer.Knows)).ToList();
            var meanings = MeaningIndex.Build(cascade, neighbourhoods, minimumScore: parse.GetValue(minimumOption));
            meanings.Save(directory);
            var path = Path.Combine(directory, WordMeanings.FileName);
            await output.WriteLineAsync($"{meanings.Count} of {neighbourhoods.Count} unknown words have known words close in meaning -> {path} ({new FileInfo(path).Length / 1024} KiB)");
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// <c>refineweb model calibrate-scores</c>: scores every validation picture with its own caption and with
    /// <c>--wrong</c> captions of other emoji, and writes what the scores mean (<see cref="ScoreCalibration"/>).
    /// </summary>
    static Command CalibrateScores(TextWriter output)
    {
        var modelOption = new Option<string>("--model") { Description = "Model folder (with a trained alignment model).", DefaultValueFactory = _ => "models/emoji-cascade-v1" };
        var dataOption = new Option<string>("--data") { Description = "Data set folder (manifest.jsonl).", DefaultValueFactory = _ => "data/emoji" };
        var wrongOption = new Option<int>("--wrong") { Description = "Wrong captions per picture.", DefaultValueFactory = _ => 20 };
        var seedOption = new Option<long>("--seed") { Description = "Seed of the wrong captions' draw.", DefaultValueFactory = _ => 1 };
        var deviceOption = new Option<ComputeDevice>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => ComputeDevice.Auto };
        var command = new Command("calibrate-scores", $"Measure what alignment scores mean on the validation pictures into {ScoreCalibration.FileName} (the page's words and ranks).")
        {
            modelOption, dataOption, wrongOption, seedOption, deviceOption,
        };
        command.SetAction((parse, _) => CliErrors.Guard(async () =>
        {
            var directory = parse.GetValue(modelOption)!;
            int wrongPerPicture = parse.GetValue(wrongOption);
            if (wrongPerPicture < 1) throw new ArgumentException("--wrong must be at least 1.");
            var examples = TrainCommand.Examples(parse.GetValue(dataOption)!, DatasetRecord.Validation, originalsOnly: true);
            using var cascade = CascadeModel.Load(directory, TorchRuntime.Resolve(parse.GetValue(deviceOption)));
            var alignment = cascade.Alignment ?? throw new ArgumentException($"{directory} has no alignment model (train it with `refineweb train --stage align`).");
            var captions = examples.Select(e => e.Captions[0]).Distinct().ToList();
            if (captions.Count <= wrongPerPicture) throw new ArgumentException($"--wrong {wrongPerPicture} needs more than that many distinct validation captions; there are {captions.Count}.");
            using var bank = ImageBank.Load(examples, cascade.Tokenizer);
            // Pictures start..end of a bank as the alignment model embeds them (unit length), in the caller's dispose scope.
            torch.Tensor Embed(ImageBank pictures, int start, int end)
            {
                using var indices = ScalarArguments.Range(start, end, torch.ScalarType.Int64);
                var images = pictures.ImagesAt(indices, alignment.Config.InputResolution).to(cascade.Device);
                return alignment.EncodeImage(images, torch.zeros([end - start], torch.ScalarType.Int64, cascade.Device));
            }
            var random = new Random((int)parse.GetValue(seedOption));
            var trueScores = new double[examples.Count];
            var wrongScores = new List<double>();
            using (torch.no_grad())
            using (var scope = torch.NewDisposeScope())
            {
                var texts = alignment.EncodeText(cascade.Tokenize(captions)); // [C, D], unit length
                var captionIndex = captions.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i);
                for (int start = 0; start < bank.Count; start += 256)
                {
                    using var batchScope = torch.NewDisposeScope();
                    int end = Math.Min(start + 256, bank.Count);
                    var embeddings = Embed(bank, start, end);
                    var similarities = texts.matmul(embeddings.t()).cpu(); // [C, B]
                    var values = similarities.data<float>().ToArray();
                    int batch = end - start;
                    for (int b = 0; b < batch; b++)
                    {
                        int own = captionIndex[examples[start + b].Captions[0]];
                        trueScores[start + b] = values[own * batch + b];
                        var drawn = new HashSet<int>();
                        while (drawn.Count < wrongPerPicture)
                        {
                            int other = random.Next(captions.Count);
                            if (other != own && !examples[start + b].Captions.Contains(captions[other])) drawn.Add(other);
                        }
                        wrongScores.AddRange(drawn.Select(other => (double)values[other * batch + b]));
                    }
                }
            }
            // The same emoji drawn by another artist (another style of the set: twemoji, noto, fluent), its own caption:
            // how far apart the scores of two right pictures of one thing fall. Those styles are training pictures, so
            // the gaps lean large: a ranking is shown only past what another drawing of the same thing could explain.
            static string Hexcode(string id) => id[(id.IndexOf('/') + 1)..];
            var wanted = examples.Select((e, i) => (Hexcode(e.Id), i)).GroupBy(x => x.Item1).ToDictionary(g => g.Key, g => g.First().i);
            var others = TrainCommand.Examples(parse.GetValue(dataOption)!, DatasetRecord.Train, originalsOnly: true)
                .Where(e => wanted.ContainsKey(Hexcode(e.Id)) && e.Captions[0] == examples[wanted[Hexcode(e.Id)]].Captions[0]).ToList();
            var gaps = new List<double>();
            if (others.Count > 0)
            {
                using var otherBank = ImageBank.Load(others, cascade.Tokenizer);
                using var noGrad = torch.no_grad();
                using var scope = torch.NewDisposeScope();
                for (int start = 0; start < otherBank.Count; start += 256)
                {
                    using var batchScope = torch.NewDisposeScope();
                    int end = Math.Min(start + 256, otherBank.Count);
                    var embeddings = Embed(otherBank, start, end);
                    var texts = alignment.EncodeText(cascade.Tokenize(others.Skip(start).Take(end - start).Select(e => e.Captions[0])));
                    var own = (texts * embeddings).sum(1).cpu().data<float>().ToArray();
                    for (int b = 0; b < end - start; b++) gaps.Add(own[b] - trueScores[wanted[Hexcode(others[start + b].Id)]]);
                }
            }
            var calibration = ScoreCalibration.Compute(trueScores, wrongScores, gaps);
            calibration.Save(directory);
            var c = System.Globalization.CultureInfo.InvariantCulture;
            await output.WriteLineAsync(string.Format(c,
                "{0} validation pictures, {1} wrong captions: 'matches well' from {2:F3} (1 in 100 wrong captions; {3:P0} of true ones), 'partly' from {4:F3} (1 in 10; {5:P0}); ranks mean something above {6:F3} (the median gap of {8} pairs of one emoji drawn in two styles) -> {7}",
                calibration.Pictures, calibration.WrongPairs, calibration.WellAtLeast, calibration.TrueWell, calibration.PartlyAtLeast, calibration.TruePartly,
                calibration.MeaningfulDifference, Path.Combine(directory, ScoreCalibration.FileName), gaps.Count));
            return 0;
        }));
        return command;
    }
}
