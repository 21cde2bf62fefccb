using RefineWeb.Engine.Pipelines.Semantic;
using System.Text.Json;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Text;
using RefineWeb.Engine.Weights;

namespace RefineWeb.Cli.Tests;

public sealed class TrainAndEvalCommandTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("refineweb-train-").FullName;
    string Data => Path.Combine(root, "data");
    string Model => Path.Combine(root, "model");

    public TrainAndEvalCommandTests()
    {
        RefineWeb.Engine.Runtime.TorchRuntime.Initialize();
        FixtureDataSet.Write(Data);
        CascadeBlueprint.Write(Model, WordTokenizer.BuildVocabulary([.. FixtureDataSet.Words, "fixture shape"]), CascadePreset.Tiny, seed: 3);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);


    [Theory]
    [InlineData("base")]
    [InlineData("refiner64")]
    [InlineData("align")]
    public async Task Two_training_steps_write_the_stage_s_weights_log_and_checkpoint(string stage)
    {
        var work = Path.Combine(root, "runs", stage);
        var (exit, output, error) = await Cli.Run("train", "--stage", stage, "--data", Data, "--model", Model, "--work", work,
            "--steps", "2", "--batch-size", "4", "--log-every", "1", "--sample-every", "2", "--checkpoint-every", "2", "--device", "cpu");
        Assert.True(exit == 0, error);
        Assert.Contains("2/2", output);
        Assert.Contains("ETA", output);
        Assert.Equal("2", SafetensorsFile.Open(Path.Combine(Model, stage + ".safetensors")).Metadata["trained_steps"]);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(work, "log.csv")).Length);
        Assert.True(File.Exists(Path.Combine(work, "samples", "step000002.png")));

        (exit, output, error) = await Cli.Run("train", "--stage", stage, "--data", Data, "--model", Model, "--work", work,
            "--steps", "3", "--batch-size", "4", "--log-every", "1", "--resume", "--balance-variants", "--device", "cpu");
        Assert.True(exit == 0, error);
        Assert.Contains("3/3", output);
        Assert.DoesNotContain("1/3", output);
        Assert.Equal("3", SafetensorsFile.Open(Path.Combine(Model, stage + ".safetensors")).Metadata["trained_steps"]);
    }

    /// <summary>The tiny model with a fourth stage, a 64 -> 128 px refiner shaped like its 64 px one.</summary>
    void AddRefiner128()
    {
        var config = RefineWeb.Engine.Models.StageConfig.Load(CascadeManifest.StageConfigPath(Model, "refiner64")) with { Name = "refiner128", Resolution = 128 };
        config.Save(CascadeManifest.StageConfigPath(Model, "refiner128"));
        var manifest = CascadeManifest.Load(Model);
        (manifest with { Stages = [.. manifest.Stages, "refiner128"] }).Save(Model);
    }

    [Fact]
    public async Task A_stage_above_64_px_trains_on_the_pictures_of_its_size_and_says_so_when_the_data_has_none()
    {
        AddRefiner128();
        var (exit, _, error) = await Cli.Run("train", "--stage", "refiner128", "--data", Data, "--model", Model, "--work", Path.Combine(root, "w"), "--steps", "2", "--device", "cpu");
        Assert.Equal(1, exit);
        Assert.Contains("no train images at 128 px", error);
        Assert.Contains("refineweb data build", error);
        Assert.False(File.Exists(Path.Combine(Model, "refiner128.safetensors")));

        var larger = Path.Combine(root, "larger");
        FixtureDataSet.Write(larger, larger: true);
        (exit, var output, error) = await Cli.Run("train", "--stage", "refiner128", "--data", larger, "--model", Model, "--work", Path.Combine(root, "w128"),
            "--steps", "2", "--batch-size", "4", "--crop", "64", "--sample-every", "2", "--device", "cpu");
        Assert.True(exit == 0, error);
        // Of the 18 training images, the 12 that have a 128 px picture (every other one; none of them is validation).
        Assert.Contains("12 training images", output);
        Assert.Equal("2", SafetensorsFile.Open(Path.Combine(Model, "refiner128.safetensors")).Metadata["trained_steps"]);
    }

    [Fact]
    public async Task A_small_stage_trains_on_the_vector_art_when_asked_and_a_size_that_cannot_reach_it_is_refused()
    {
        var larger = Path.Combine(root, "larger");
        FixtureDataSet.Write(larger, larger: true);
        var (exit, output, error) = await Cli.Run("train", "--stage", "refiner32", "--data", larger, "--model", Model, "--work", Path.Combine(root, "w"),
            "--steps", "2", "--batch-size", "4", "--vector-art", "128", "--device", "cpu");
        Assert.True(exit == 0, error);
        Assert.Contains("12 training images", output); // the 12 of 18 that have a 128 px picture
        Assert.Equal("2", SafetensorsFile.Open(Path.Combine(Model, "refiner32.safetensors")).Metadata["trained_steps"]);

        var before = File.ReadAllBytes(Path.Combine(Model, "refiner64.safetensors"));
        (exit, _, error) = await Cli.Run("train", "--stage", "refiner64", "--data", larger, "--model", Model, "--work", Path.Combine(root, "w64"),
            "--steps", "2", "--vector-art", "96", "--device", "cpu");
        Assert.Equal(1, exit);
        Assert.Contains("--vector-art 96", error);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(Model, "refiner64.safetensors")));

        AddRefiner128(); // above 64 px a stage trains on the vector art at its own size: another size is refused
        (exit, _, error) = await Cli.Run("train", "--stage", "refiner128", "--data", larger, "--model", Model, "--work", Path.Combine(root, "w128"),
            "--steps", "2", "--vector-art", "256", "--device", "cpu");
        Assert.Equal(1, exit);
        Assert.Contains("trains on the vector art at its own size (128 px)", error);
        Assert.False(File.Exists(Path.Combine(Model, "refiner128.safetensors")));
    }

    [Fact]
    public async Task Layouts_train_a_base_given_a_layout_channel_from_its_weights_and_are_refused_on_a_base_without_one()
    {
        string weights = Path.Combine(Model, "base.safetensors"), original = Path.Combine(root, "base-before.safetensors");
        File.Copy(weights, original);
        var (exit, _, error) = await Cli.Run("train", "--stage", "base", "--data", Data, "--model", Model, "--work", Path.Combine(root, "w"),
            "--steps", "2", "--layouts", "0.5", "--device", "cpu");
        Assert.Equal(1, exit);
        Assert.Contains("has no layout channel", error);
        Assert.Equal(File.ReadAllBytes(original), File.ReadAllBytes(weights));

        var config = Path.Combine(Model, "base.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(config))!;
        json["u_net"]!["layout_channels"] = 1;
        File.WriteAllText(config, json.ToJsonString());
        (exit, var output, error) = await Cli.Run("train", "--stage", "base", "--data", Data, "--model", Model, "--work", Path.Combine(root, "w"),
            "--steps", "2", "--batch-size", "4", "--layouts", "1", "--init-from", original, "--device", "cpu");
        Assert.True(exit == 0, error);
        Assert.Contains("widened unet.conv_in.weight", output);
        var conv = SafetensorsFile.Open(weights).Entries["unet.conv_in.weight"];
        Assert.Equal(4, conv.Shape[1]); // the picture's 3 channels and the layout
    }

    [Theory]
    [InlineData("refiner128", "--stage 'refiner128' is not in cascade.json")]
    [InlineData("base --resume", "no checkpoint")]
    [InlineData("base --init-from missing.safetensors", "No initial weights at")]
    [InlineData("base --batch-size 1", "batch size must be at least 2")]
    public async Task Bad_training_requests_fail_with_one_line_and_leave_the_weights_alone(string arguments, string message)
    {
        var before = File.ReadAllBytes(Path.Combine(Model, "base.safetensors"));
        var (exit, _, error) = await Cli.Run(["train", "--stage", .. arguments.Split(' '), "--data", Data, "--model", Model, "--work", Path.Combine(root, "w"), "--steps", "2"]);
        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", error);
        Assert.Contains(message, error);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(Model, "base.safetensors")));
    }

    [Fact]
    public async Task Eval_on_a_small_subset_prints_the_table_and_writes_matching_json()
    {
        var report = Path.Combine(root, "eval.json");
        var (exit, output, error) = await Cli.Run("eval", "--model", Model, "--data", Data, "--prompts", "10", "--distractors", "5",
            "--fidelity-images", "6", "--speed-runs", "1", "--out", report, "--device", "cpu");
        Assert.True(exit == 0, error);
        Assert.Contains("| train captions, 1 of 6 | 10 |", output);
        Assert.Contains("| validation captions, 1 of 6 | 6 |", output); // the fixture holds out 6
        Assert.Contains("| x4 chain (16 -> 64 px) | 64 px images | 6 |", output);
        Assert.Contains("| one 64 px image, default settings |", output);

        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var alignment = json.RootElement.GetProperty("alignment");
        Assert.Equal(["train", "validation"], alignment.EnumerateArray().Select(a => a.GetProperty("split").GetString()));
        Assert.All(alignment.EnumerateArray(), a => Assert.InRange(a.GetProperty("top1").GetDouble(), 0, 1));
        var fidelity = json.RootElement.GetProperty("fidelity").EnumerateArray().ToList();
        Assert.Equal(["refiner32", "refiner64", "x4 chain"], fidelity.Select(f => f.GetProperty("path").GetString()));
        // Bicubic of a box-downsampled image is a real reconstruction: well above the PSNR of unrelated images.
        Assert.All(fidelity, f => Assert.InRange(f.GetProperty("bicubic_psnr").GetDouble(), 15, 60));
        // Bicubic upsampling blurs: its edges are weaker than the truth's.
        Assert.All(fidelity, f => Assert.InRange(f.GetProperty("bicubic_edge_fidelity").GetDouble(), 0.05, 0.99));
        Assert.All(fidelity, f => Assert.True(f.GetProperty("edge_fidelity").GetDouble() > 0));
        Assert.True(json.RootElement.GetProperty("speed").GetProperty("median_image_ms").GetDouble() > 0);
    }

    [Fact]
    public async Task A_judge_folder_holds_an_alignment_model_alone_trains_like_one_and_ranks_the_captions_of_eval()
    {
        // The judge: the tiny model's alignment config (narrower) and vocabulary, no stages.
        var judge = Path.Combine(root, "judge");
        Directory.CreateDirectory(judge);
        var manifest = CascadeManifest.Load(Model);
        File.Copy(Path.Combine(Model, manifest.Tokenizer), Path.Combine(judge, manifest.Tokenizer));
        File.Copy(CascadeManifest.StageConfigPath(Model, "align"), CascadeManifest.StageConfigPath(judge, "align"));
        (manifest with { Name = "judge", Stages = [] }).Save(judge);
        var (exit, _, error) = await Cli.Run("train", "--stage", "align", "--data", Data, "--model", judge, "--work", Path.Combine(root, "runs", "judge"),
            "--steps", "2", "--batch-size", "4", "--seed", "11", "--device", "cpu");
        Assert.True(exit == 0, error);
        using (var loaded = CascadeModel.Load(judge, TorchSharp.torch.CPU))
        {
            Assert.Empty(loaded.Stages);
            Assert.NotNull(loaded.Alignment);
        }

        var report = Path.Combine(root, "eval-judged.json");
        (exit, var output, error) = await Cli.Run("eval", "--model", Model, "--data", Data, "--prompts", "4", "--distractors", "5", "--judge", judge,
            "--base-steps", "3", "--fidelity-images", "0", "--speed-runs", "0", "--out", report, "--device", "cpu");
        Assert.True(exit == 0, error);
        Assert.Contains("| train captions, 1 of 6, judged by judge, 3 base steps | 4 |", output);
        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var train = json.RootElement.GetProperty("alignment")[0];
        Assert.Equal(judge, train.GetProperty("judge").GetString());
        Assert.Equal(3, train.GetProperty("base_steps").GetInt32());
    }

    [Fact]
    public async Task Calibrate_scores_writes_what_the_scores_mean_and_the_model_loads_it()
    {
        var (exit, output, error) = await Cli.Run("model", "calibrate-scores", "--model", Model, "--data", Data, "--wrong", "3", "--device", "cpu");
        Assert.True(exit == 0, error);
        Assert.Contains("validation pictures", output);
        var calibration = ScoreCalibration.Load(Model)!;
        Assert.True(calibration.PartlyAtLeast <= calibration.WellAtLeast, $"{calibration}");
        Assert.Equal(calibration.Pictures * 3, calibration.WrongPairs);
        Assert.InRange(calibration.TrueWell, 0, calibration.TruePartly);
        using var cascade = CascadeModel.Load(Model, TorchSharp.torch.CPU);
        Assert.Equal(calibration, cascade.ScoreCalibration);

        (exit, _, error) = await Cli.Run("model", "calibrate-scores", "--model", Model, "--data", Data, "--wrong", "0", "--device", "cpu");
        Assert.NotEqual(0, exit);
        Assert.Contains("--wrong must be at least 1", error);
    }

    [Fact]
    public async Task References_then_semantic_eval_compares_plain_and_emphasized_generations()
    {
        var (exit, output, error) = await Cli.Run("model", "references", "--model", Model, "--data", Data, "--device", "cpu");
        Assert.True(exit == 0, error);
        var index = SafetensorsFile.Open(Path.Combine(Model, "references.safetensors"));
        Assert.Equal("F16", index.Entries["embeddings"].DType);
        Assert.Equal(int.Parse(index.Metadata["images"]), index.Entries["embeddings"].Shape[0]);

        var report = Path.Combine(root, "semantic.json");
        (exit, output, error) = await Cli.Run("eval", "--semantic", "--model", Model, "--data", Data, "--per-category", "3", "--distractors", "5",
            "--out", report, "--device", "cpu");
        Assert.True(exit == 0, error);
        Assert.Contains("3 colour", output);
        foreach (var condition in new[] { "plain", "token re-weighting", "semantic gradient", "both" })
            Assert.Contains($"| {condition} | 3 |", output);

        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var conditions = json.RootElement.GetProperty("conditions").EnumerateArray().ToList();
        Assert.Equal(4, conditions.Count);
        Assert.All(conditions, c => Assert.InRange(c.GetProperty("phrase_top1").GetDouble(), 0, 1));
        Assert.Equal(1.5, json.RootElement.GetProperty("weight").GetDouble());

        (exit, _, error) = await Cli.Run("eval", "--semantic", "--model", Model, "--data", Data, "--weight", "7", "--device", "cpu");
        Assert.Equal(1, exit);
        Assert.Contains("--weight must be between", error);
    }

    [Fact]
    public async Task Composition_eval_scores_held_out_colour_object_pairs_plain_and_emphasized()
    {
        var report = Path.Combine(root, "composition.json");
        var (exit, output, error) = await Cli.Run("eval", "--composition", "--model", Model, "--data", Data, "--cases", "10", "--other-objects", "2",
            "--out", report, "--device", "cpu");
        Assert.True(exit == 0, error);
        // Every shape is drawn in six colours; of the other pairs, the held-out ones are "brown circle" and "white square".
        Assert.Contains("2 held-out object x colour prompts", output);
        Assert.Contains("| plain | 2 |", output);
        Assert.Contains("| emphasized | 2 |", output);

        using var json = JsonDocument.Parse(File.ReadAllText(report));
        Assert.Equal(64, json.RootElement.GetProperty("resolution").GetInt32());
        var prompts = json.RootElement.GetProperty("samples").EnumerateArray().Select(s => s.GetProperty("prompt").GetString()).ToList();
        Assert.Equal(["brown circle", "white square", "(brown:1.5) circle", "(white:1.5) square"], prompts);
        Assert.All(json.RootElement.GetProperty("samples").EnumerateArray(), s => Assert.InRange(s.GetProperty("object_rank").GetInt32(), 1, 3));
        foreach (var condition in json.RootElement.GetProperty("conditions").EnumerateArray())
        {
            double top1 = condition.GetProperty("object_top1").GetDouble(), both = condition.GetProperty("both").GetDouble();
            Assert.InRange(both, 0, Math.Min(top1, condition.GetProperty("colour_accuracy").GetDouble()));
        }

        (exit, _, error) = await Cli.Run("eval", "--composition", "--model", Model, "--data", Data, "--cases", "0", "--device", "cpu");
        Assert.Equal(1, exit);
        Assert.Contains("--cases must be at least 1", error);
    }

    [Fact]
    public async Task Regions_eval_asks_each_layout_as_one_prompt_and_by_region_with_the_same_seeds()
    {
        string report = Path.Combine(root, "regions.json"), grid = Path.Combine(root, "layouts.png");
        var (exit, output, error) = await Cli.Run("eval", "--regions", "--model", Model, "--layouts", "1", "--diversity", "1", "--out", report, "--grid", grid, "--device", "cpu");
        Assert.True(exit == 0, error);
        // The grid: one layout of each kind, per kind a plain row and a row by region, 128 px cells with 2 px gaps.
        var header = File.ReadAllBytes(grid);
        Assert.Equal((132, 6 * 130 + 2), (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(16)), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(20))));
        Assert.Contains("| one plain prompt | 3 |", output);
        Assert.Contains("Diversity (1 layouts, 4 candidates each)", output);
        Assert.Contains("| prompts by region | 3 |", output);

        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var diversity = json.RootElement.GetProperty("diversity");
        Assert.Equal((1, 4), (diversity.GetProperty("layouts").GetInt32(), diversity.GetProperty("candidates").GetInt32()));
        Assert.True(diversity.GetProperty("by_region").GetDouble() > 0); // four seeds, four pictures
        var variants = json.RootElement.GetProperty("variants").EnumerateArray().ToList();
        Assert.Equal(["one plain prompt", "prompts by region"], variants.Select(v => v.GetProperty("variant").GetString()));
        foreach (var variant in variants)
        {
            Assert.Equal(["left-right", "top-bottom", "centre-background"], variant.GetProperty("both_right_by_kind").EnumerateObject().Select(p => p.Name));
            Assert.InRange(variant.GetProperty("both_right").GetDouble(), 0, Math.Min(variant.GetProperty("first_right").GetDouble(), variant.GetProperty("second_right").GetDouble()));
        }

        (exit, _, error) = await Cli.Run("eval", "--regions", "--model", Model, "--layouts", "0", "--device", "cpu");
        Assert.Equal(1, exit);
        Assert.Contains("--layouts must be at least 1", error);

        // With a judge, each part's object is ranked on the part alone: the extra columns and figures, every share a share.
        (exit, output, error) = await Cli.Run("eval", "--regions", "--model", Model, "--judge", Model, "--layouts", "1", "--out", report, "--device", "cpu");
        Assert.True(exit == 0, error);
        Assert.Contains("objects right (judge) | colour and object right | object leakage |", output);
        using var judged = JsonDocument.Parse(File.ReadAllText(report));
        Assert.Contains("objects by", judged.RootElement.GetProperty("judge").GetString());
        foreach (var variant in judged.RootElement.GetProperty("variants").EnumerateArray())
        {
            Assert.InRange(variant.GetProperty("all_right").GetDouble(), 0, Math.Min(variant.GetProperty("objects_right").GetDouble(), variant.GetProperty("both_right").GetDouble()));
            Assert.InRange(variant.GetProperty("object_leakage").GetDouble(), 0, 1);
        }
    }

    [Fact]
    public void Diversity_is_the_mean_absolute_difference_of_every_two_candidates()
    {
        RefineWeb.Engine.Imaging.RgbImage Grey(byte level) => new(1, 1, [level, level, level]);
        // Pairs (0, 3), (0, 6), (3, 6): 3, 6 and 3 levels.
        Assert.Equal(4.0, RefineWeb.Cli.Evaluation.RegionsEvaluator.MeanPairwiseDistance([Grey(0), Grey(3), Grey(6)]));
        Assert.Equal(0.0, RefineWeb.Cli.Evaluation.RegionsEvaluator.MeanPairwiseDistance([Grey(9)]));
    }

    [Fact]
    public void A_layouts_parts_are_judged_by_their_own_pixels()
    {
        // 8x8: left half red, right half blue, with a blue 2x2 block inside the red centre.
        var pixels = new byte[8 * 8 * 3];
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
            {
                bool blue = x >= 4 || (x is 2 or 3 && y is 3 or 4);
                pixels[(y * 8 + x) * 3 + (blue ? 2 : 0)] = 220;
            }
        var picture = new RefineWeb.Engine.Imaging.RgbImage(8, 8, pixels);
        var (left, right) = RefineWeb.Cli.Evaluation.RegionsEvaluator.Parts(picture, "left-right");
        Assert.Equal(("red", "blue"), (RefineWeb.Datasets.Colour.ColourPalette.Dominant(left, 3), RefineWeb.Datasets.Colour.ColourPalette.Dominant(right, 3)));
        var (centre, ring) = RefineWeb.Cli.Evaluation.RegionsEvaluator.Parts(picture, "centre-background");
        Assert.Equal(16 * 3, centre.Length);
        Assert.Equal(48 * 3, ring.Length);
        Assert.Equal(RefineWeb.Cli.Evaluation.RegionsEvaluator.Cases(2, 7), RefineWeb.Cli.Evaluation.RegionsEvaluator.Cases(2, 7)); // seeded: the same layouts every run
        Assert.All(RefineWeb.Cli.Evaluation.RegionsEvaluator.Cases(5, 7), c => Assert.NotEqual(c.FirstColour, c.SecondColour));
    }
}
