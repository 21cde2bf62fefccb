using RefineWeb.Engine.Models;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Text;
using RefineWeb.Engine.Training;
using RefineWeb.Engine.Weights;
using SkiaSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Training;

[Collection(nameof(ProcessWideState))]
public sealed class TrainerTests(SyntheticBank synthetic) : IClassFixture<SyntheticBank>
{
    TempDirectory Temp => synthetic.Directory;
    WordTokenizer Tokenizer => synthetic.Tokenizer;
    ImageBank Bank => synthetic.Bank;

    static readonly TrainingOptions TwoSteps = new() { Steps = 2, BatchSize = 4, WarmupSteps = 1, LogEvery = 1, SampleEvery = 2, CheckpointEvery = 1, Seed = 7 };

    StageConfig Stage(string name) => CascadeBlueprint.Stages(CascadePreset.Tiny, Tokenizer.VocabularySize).Single(s => s.Name == name);

    ITrainingObjective Objective(string stage, long initSeed = 1)
    {
        manual_seed(initSeed);
        return stage == "align"
            ? new AlignmentObjective(new AlignmentModel(CascadeBlueprint.Alignment(CascadePreset.Tiny, Stage("base").TextEncoder)))
            : new DiffusionObjective(new DiffusionStage(Stage(stage)));
    }

    [Theory]
    [InlineData("base")]
    [InlineData("refiner32")]
    [InlineData("refiner64")]
    [InlineData("align")]
    public void Two_steps_leave_a_checkpoint_a_log_a_sample_grid_and_exported_weights(string stage)
    {
        var objective = Objective(stage);
        using var module = objective.Module;
        var work = Temp.File("run-" + stage);
        var export = Temp.File(stage + ".safetensors");
        var options = stage == "refiner64" ? TwoSteps with { CropSize = 32 } : TwoSteps;
        var reports = new List<TrainingProgress>();

        int steps = new Trainer(objective, Bank, options, work, stage).Run(resume: false, export, reports.Add);

        Assert.Equal(2, steps);
        Assert.Equal([1, 2], reports.Select(r => r.Step));
        Assert.All(reports, r => Assert.True(double.IsFinite(r.Loss) && r.Loss > 0));
        var log = File.ReadAllLines(Path.Combine(work, "log.csv"));
        Assert.Equal("step,loss,learning_rate,images_per_second,elapsed_seconds,skipped_steps", log[0]);
        Assert.Equal(["1", "2"], log.Skip(1).Select(l => l.Split(',')[0]));
        using (var grid = SKBitmap.Decode(Path.Combine(work, "samples", "step000002.png")))
            Assert.True(grid.Width > 64 && grid.Height > 64);
        Assert.True(TrainingCheckpoint.Exists(work));
        var exported = SafetensorsFile.Open(export);
        Assert.Equal("2", exported.Metadata["trained_steps"]);
        TensorWeights.Load(module, export); // every key, every shape
    }

    [Fact]
    public void A_resumed_run_ends_with_exactly_the_weights_of_an_uninterrupted_one()
    {
        var options = TwoSteps with { Steps = 4, SampleEvery = 100 };

        var straight = Objective("refiner32");
        using (straight.Module)
            new Trainer(straight, Bank, options, Temp.File("straight"), "refiner32").Run(false, Temp.File("straight.safetensors"));

        var interrupted = Objective("refiner32");
        using (interrupted.Module)
            new Trainer(interrupted, Bank, options with { Steps = 2 }, Temp.File("resumed"), "refiner32").Run(false, Temp.File("half.safetensors"));
        // A row logged after the last checkpoint (a crash between the two) is dropped on resume, not duplicated.
        File.AppendAllLines(Path.Combine(Temp.File("resumed"), "log.csv"), ["3,9.99,0.001,1.0,1.0,0"]);
        var resumed = Objective("refiner32", initSeed: 99); // different initial weights: everything must come from the checkpoint
        using (resumed.Module)
            new Trainer(resumed, Bank, options, Temp.File("resumed"), "refiner32").Run(true, Temp.File("resumed.safetensors"));

        // Shipped (EMA) weights, and the whole checkpoint: training weights, EMA and AdamW moments.
        foreach (var (straightPath, resumedPath) in new[]
        {
            (Temp.File("straight.safetensors"), Temp.File("resumed.safetensors")),
            (Path.Combine(Temp.File("straight"), TrainingCheckpoint.WeightsFile), Path.Combine(Temp.File("resumed"), TrainingCheckpoint.WeightsFile)),
        })
        {
            var a = SafetensorsFile.Open(straightPath);
            var b = SafetensorsFile.Open(resumedPath);
            Assert.Equal(a.Entries.Keys.Order(), b.Entries.Keys.Order());
            var differing = a.Entries.Keys.Where(name => !a.ReadBytes(name).AsSpan().SequenceEqual(b.ReadBytes(name))).ToList();
            Assert.True(differing.Count == 0, $"{differing.Count} tensors of {Path.GetFileName(resumedPath)} differ after resuming, e.g. {differing.FirstOrDefault()}");
        }
        var rows = File.ReadAllLines(Path.Combine(Temp.File("resumed"), "log.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(["1", "2", "3", "4"], rows.Select(r => r[0]));
        Assert.NotEqual("9.99", rows[2][1]);
    }

    [Fact]
    public void Resume_without_a_checkpoint_or_from_another_stage_is_refused()
    {
        var objective = Objective("base");
        using var module = objective.Module;
        var missing = Assert.Throws<FileNotFoundException>(() =>
            new Trainer(objective, Bank, TwoSteps, Temp.File("none"), "base").Run(true, Temp.File("x.safetensors")));
        Assert.Contains("no checkpoint", missing.Message);

        new Trainer(objective, Bank, TwoSteps with { Steps = 1 }, Temp.File("shared"), "base").Run(false, Temp.File("x.safetensors"));
        var other = Objective("refiner32");
        using (other.Module)
        {
            var wrong = Assert.Throws<InvalidDataException>(() =>
                new Trainer(other, Bank, TwoSteps, Temp.File("shared"), "refiner32").Run(true, Temp.File("y.safetensors")));
            Assert.Contains("checkpoint of stage 'base'", wrong.Message);
        }
        Assert.False(File.Exists(Temp.File("y.safetensors")));
    }

    [Fact]
    public void A_run_started_from_exported_weights_trains_on_from_them_and_counts_their_steps()
    {
        var first = Objective("refiner32");
        using (first.Module)
            new Trainer(first, Bank, TwoSteps, Temp.File("first"), "refiner32").Run(false, Temp.File("first.safetensors"));

        // Other random weights and a learning rate too small to move them: what ships must be the initial weights.
        var tuned = Objective("refiner32", initSeed: 99);
        using (tuned.Module)
        {
            var notes = new List<string>();
            new Trainer(tuned, Bank, TwoSteps with { Steps = 1, LearningRate = 1e-12 }, Temp.File("tuned"), "refiner32")
                .Run(false, Temp.File("tuned.safetensors"), onNote: notes.Add, initialWeights: Temp.File("first.safetensors"));
            Assert.Contains(notes, n => n.Contains("2 steps trained"));
            // Resuming that run keeps counting from the initial weights' steps.
            new Trainer(tuned, Bank, TwoSteps with { LearningRate = 1e-12 }, Temp.File("tuned"), "refiner32").Run(true, Temp.File("tuned.safetensors"));
        }

        var initial = SafetensorsFile.Open(Temp.File("first.safetensors"));
        var shipped = SafetensorsFile.Open(Temp.File("tuned.safetensors"));
        Assert.Equal("4", shipped.Metadata["trained_steps"]);
        foreach (var name in initial.Entries.Keys)
        {
            using var a = TensorWeights.Read(initial, name);
            using var b = TensorWeights.Read(shipped, name);
            Assert.True(a.allclose(b, rtol: 1e-4, atol: 1e-5), $"'{name}' moved away from the initial weights");
        }
    }

    [Fact]
    public void Initial_weights_of_another_stage_or_together_with_resume_are_refused()
    {
        var refiner = Objective("refiner32");
        using (refiner.Module)
            new Trainer(refiner, Bank, TwoSteps with { Steps = 1 }, Temp.File("donor"), "refiner32").Run(false, Temp.File("donor.safetensors"));

        var objective = Objective("base");
        using var module = objective.Module;
        var mismatch = Assert.Throws<SafetensorsFormatException>(() => new Trainer(objective, Bank, TwoSteps, Temp.File("wrong"), "base")
            .Run(false, Temp.File("wrong.safetensors"), initialWeights: Temp.File("donor.safetensors")));
        Assert.Contains("donor.safetensors does not match this model", mismatch.Message);
        var both = Assert.Throws<ArgumentException>(() => new Trainer(objective, Bank, TwoSteps, Temp.File("donor"), "base")
            .Run(true, Temp.File("wrong.safetensors"), initialWeights: Temp.File("donor.safetensors")));
        Assert.Contains("one or the other", both.Message);
        Assert.Throws<FileNotFoundException>(() => new Trainer(objective, Bank, TwoSteps, Temp.File("wrong"), "base")
            .Run(false, Temp.File("wrong.safetensors"), initialWeights: Temp.File("absent.safetensors")));
        Assert.False(File.Exists(Temp.File("wrong.safetensors")));
        Assert.False(TrainingCheckpoint.Exists(Temp.File("wrong")));
    }

    [Fact]
    public void The_edge_loss_compares_neighbour_differences_and_adds_to_the_same_batch_s_denoising_loss()
    {
        using var scope = NewDisposeScope();
        // A 1x1x2x3 picture (rows 0 1 2 and 3 1 2) against a flat one: horizontal differences 1, 1 | -2, 1 (mean |.| = 5/4);
        // vertical 3, 0, 0 (mean 1).
        var picture = tensor(new float[] { 0, 1, 2, 3, 1, 2 }).view(1, 1, 2, 3);
        Assert.Equal(5.0 / 4 + 1, DiffusionObjective.EdgeLoss(picture, zeros_like(picture)).item<float>(), 5);
        Assert.Equal(0, DiffusionObjective.EdgeLoss(picture, picture.Plus(0.5)).item<float>()); // a shift has the same edges

        var objective = (DiffusionObjective)Objective("refiner32");
        using var module = objective.Module;
        float Loss(double weight)
        {
            using var generator = new Generator(5);
            using var noGrad = no_grad();
            return objective.Loss(Bank, generator, TwoSteps with { EdgeLossWeight = weight }).item<float>();
        }
        float plain = Loss(0), withEdges = Loss(1), doubled = Loss(2);
        Assert.True(withEdges > plain, $"{withEdges} <= {plain}");
        Assert.Equal(withEdges - plain, (doubled - plain) / 2, 4); // the same batch: the edge term scales with its weight
    }

    [Fact]
    public void The_learning_rate_warms_up_linearly_then_decays_by_cosine_to_the_floor()
    {
        var options = new TrainingOptions { Steps = 110, WarmupSteps = 10, LearningRate = 1e-3, FinalLearningRateFraction = 0.1 };
        Assert.Equal(1e-4, options.LearningRateAt(0), 12);
        Assert.Equal(1e-3, options.LearningRateAt(10), 12);
        Assert.Equal(1e-3 * (0.1 + 0.9 * 0.5), options.LearningRateAt(60), 12);
        Assert.Equal(1e-4, options.LearningRateAt(110), 12);
    }

    [Fact]
    public void The_moving_average_follows_its_formula()
    {
        using var module = nn.Linear(2, 1);
        using (no_grad()) { module.weight!.Fill(0); module.bias!.Fill(0); }
        using var ema = new ExponentialMovingAverage(module, decay: 0.5);
        using (no_grad()) { module.weight!.Fill(1); module.bias!.Fill(1); }
        ema.Update(module, updates: 100); // decay min(0.5, 101/110) = 0.5
        Assert.Equal(0.5f, ema.Shadow["weight"][0, 0].item<float>());
        ema.Update(module, updates: 0); // warm-up: decay min(0.5, 1/10) = 0.1
        Assert.Equal(0.1f * 0.5f + 0.9f, ema.Shadow["bias"][0].item<float>(), 6);
    }
}
