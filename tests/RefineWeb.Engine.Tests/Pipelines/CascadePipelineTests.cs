using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Text;
using RefineWeb.Engine.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Pipelines;

public sealed class TinyModelFixture : IDisposable
{
    readonly TempDirectory directory = new();
    public string Path => directory.Path;
    public CascadeModel Model { get; }

    public TinyModelFixture()
    {
        var vocabulary = WordTokenizer.BuildVocabulary(["red heart", "blue heart", "grinning face", "cat"]);
        CascadeBlueprint.Write(Path, vocabulary, CascadePreset.Tiny, seed: 1);
        Model = CascadeModel.Load(Path, CPU);
        // Initial weights output zeros (residual branches start at zero); perturb them so images depend on inputs.
        using (no_grad())
        {
            manual_seed(5);
            foreach (var stage in Model.Stages)
                foreach (var p in stage.parameters()) p.PlusInPlace(randn_like(p).Times(0.05));
        }
    }

    public void Dispose()
    {
        Model.Dispose();
        directory.Dispose();
    }
}

[Collection(nameof(ProcessWideState))]
public class CascadePipelineTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    CascadePipeline Pipeline => new(fixture.Model);

    [Fact]
    public void Steps_stream_stage_by_stage_in_order_and_end_at_the_last_resolution()
    {
        var previews = new List<(int Stage, int Resolution, int Step, int Total)>();
        using var image = Pipeline.Generate(new CascadeRequest { Prompt = "red heart", Seeds = [1] },
            p => previews.Add((p.StageIndex, p.Resolution, p.Step, p.TotalSteps)));
        Assert.Equal([1L, 3, 64, 64], image.shape);
        Assert.Equal(
            [(0, 16, 1, 4), (0, 16, 2, 4), (0, 16, 3, 4), (0, 16, 4, 4), (1, 32, 1, 3), (1, 32, 2, 3), (1, 32, 3, 3), (2, 64, 1, 3), (2, 64, 2, 3), (2, 64, 3, 3)],
            previews);
    }

    [Fact]
    public void A_stage_that_keeps_returning_nan_fails_the_request_with_a_reason_instead_of_a_broken_picture()
    {
        using var directory = new TempDirectory();
        CascadeBlueprint.Write(directory.Path, WordTokenizer.BuildVocabulary(["red heart"]), CascadePreset.Tiny, seed: 1);
        using var model = CascadeModel.Load(directory.Path, CPU);
        using (no_grad()) model.Stages[0].parameters().First().Fill(double.NaN); // NaN on every path, oneDNN or not
        long before = Engine.Runtime.FiniteForward.Retries;
        var error = Assert.Throws<InvalidOperationException>(() => new CascadePipeline(model).Generate(new CascadeRequest { Prompt = "red heart", Seeds = [1] }).Dispose());
        Assert.Contains("'base' returned non-finite values, with and without oneDNN", error.Message);
        Assert.True(Engine.Runtime.FiniteForward.Retries > before); // it was run again without oneDNN first
    }

    [Fact]
    public void Guidance_per_stage_applies_to_its_own_stage_only()
    {
        var defaults = fixture.Model.Stages.Select(s => s.Config.DefaultGuidanceScale).ToArray();
        using var plain = Pipeline.Generate(new CascadeRequest { Prompt = "red heart", Seeds = [3], StageCount = 2 });
        // Each stage's own default, given per stage: the same picture as leaving it out.
        using var same = Pipeline.Generate(new CascadeRequest { Prompt = "red heart", Seeds = [3], StageCount = 2, GuidancePerStage = defaults[..2] });
        Assert.True(plain.eq(same).all().item<bool>());
        // Only the 32 px stage's guidance changed: the 16 px picture is the same, the 32 px one differs.
        using var changed = Pipeline.Generate(new CascadeRequest { Prompt = "red heart", Seeds = [3], StageCount = 2, GuidancePerStage = [defaults[0], defaults[1] + 4] });
        Assert.False(plain.eq(changed).all().item<bool>());
        using var basePlain = Pipeline.Generate(new CascadeRequest { Prompt = "red heart", Seeds = [3], StageCount = 1 });
        using var baseChanged = Pipeline.Generate(new CascadeRequest { Prompt = "red heart", Seeds = [3], StageCount = 1, GuidancePerStage = [defaults[0], defaults[1] + 4] });
        Assert.True(basePlain.eq(baseChanged).all().item<bool>());
        // The per-stage list wins over the one scale for every stage.
        using var both = Pipeline.Generate(new CascadeRequest { Prompt = "red heart", Seeds = [3], StageCount = 2, GuidanceScale = 9, GuidancePerStage = defaults[..2] });
        Assert.True(plain.eq(both).all().item<bool>());
    }

    [Fact]
    public void Same_prompt_and_seed_give_identical_png_bytes_and_other_seeds_differ()
    {
        var request = new CascadeRequest { Prompt = "blue heart", Seeds = [42] };
        using var a = Pipeline.Generate(request);
        using var b = Pipeline.Generate(request);
        using var c = Pipeline.Generate(request with { Seeds = [43] });
        Assert.Equal(ImageTensor.ToPng(a[0]), ImageTensor.ToPng(b[0]));
        Assert.NotEqual(ImageTensor.ToPng(a[0]), ImageTensor.ToPng(c[0]));
    }

    [Fact]
    public void Stage_count_stops_the_cascade_early()
    {
        using var image = Pipeline.Generate(new CascadeRequest { Prompt = "cat", Seeds = [1, 2], StageCount = 2 });
        Assert.Equal([2L, 3, 32, 32], image.shape);
    }

    [Fact]
    public void Cancellation_stops_between_steps()
    {
        using var cancel = new CancellationTokenSource();
        int seen = 0;
        Assert.Throws<OperationCanceledException>(() => Pipeline.Generate(
            new CascadeRequest { Prompt = "cat", Seeds = [1] },
            _ => { if (++seen == 2) cancel.Cancel(); },
            cancel.Token));
        Assert.Equal(2, seen);
    }

    [Fact]
    public void Many_sampling_runs_leave_no_tensors_behind()
    {
        var request = new CascadeRequest { Prompt = "grinning face", Seeds = [3] };
        Pipeline.Generate(request).Dispose(); // warm-up: lazily created tensors (generators, caches) settle
        // Finalize other tests' garbage first; after the runs, count without collecting, so a tensor the pipeline
        // forgot to dispose is still counted.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = Tensor.TotalCount;
        for (int i = 0; i < 10; i++) // 100 denoising steps
            Pipeline.Generate(request, p => ImageTensor.ToPng(p.PredictedImages[0])).Dispose();
        Assert.Equal(before, Tensor.TotalCount);
    }

    [Fact]
    public void Missing_weights_are_named_and_random_weights_are_allowed_on_request()
    {
        using var copy = new TempDirectory();
        foreach (var file in Directory.GetFiles(fixture.Path)) File.Copy(file, copy.File(System.IO.Path.GetFileName(file)));
        File.Delete(copy.File("refiner32.safetensors"));
        var error = Assert.Throws<FileNotFoundException>(() => CascadeModel.Load(copy.Path, CPU));
        Assert.Contains("refiner32.safetensors", error.Message);
        using var untrained = CascadeModel.Load(copy.Path, CPU, randomWeights: true);
        Assert.Equal(3, untrained.Stages.Count);

        File.WriteAllText(copy.File("base.safetensors"), "garbage");
        Assert.Throws<SafetensorsFormatException>(() => CascadeModel.Load(copy.Path, CPU));
    }
}
