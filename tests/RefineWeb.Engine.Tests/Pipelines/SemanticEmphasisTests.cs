using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Pipelines.Semantic;
using RefineWeb.Engine.Text;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Pipelines;

/// <summary>Semantic guidance and token re-weighting on the shipped model (its alignment model and reference index).</summary>
public class SemanticEmphasisTests(ShippedModelFixture fixture) : IClassFixture<ShippedModelFixture>
{
    static IReadOnlyList<IReadOnlyList<EmphasizedPhrase>> One(params (string Text, double Weight)[] phrases) =>
        [[.. phrases.Select(p => new EmphasizedPhrase(p.Text, p.Weight, 0))]];

    static Tensor FixedImage(int size, long seed) => rand([1, 3, size, size], generator: new Generator((ulong)seed)) * 2 - 1;

    double PhraseSimilarity(Tensor images, string phrase) => new AlignmentScorer(fixture.Model).Similarities(images, [[phrase]])[0][0];

    [Theory]
    [InlineData(16)]
    [InlineData(64)]
    public void A_step_along_the_gradient_raises_the_phrase_score(int size)
    {
        using var scope = NewDisposeScope();
        using var guide = SemanticGuide.Create(fixture.Model, One(("blue", 1.5)), scale: 1)!;
        var image = FixedImage(size, 7);
        var gradient = guide.Gradient(image);
        Assert.True(gradient.abs().max().item<float>() > 0, "the gradient is zero");

        var stepped = image + gradient * (0.05 / gradient.abs().max().item<float>());
        double before = guide.Score(image).item<float>(), after = guide.Score(stepped).item<float>();
        Assert.True(after > before + 0.01, $"the guide's score went from {before:F4} to {after:F4}");
        // The phrase's own text similarity (without the reference images) rises too.
        Assert.True(PhraseSimilarity(stepped, "blue") > PhraseSimilarity(image, "blue"));
    }

    [Fact]
    public void Two_phrases_give_the_sum_of_their_single_gradients()
    {
        using var scope = NewDisposeScope();
        var image = FixedImage(32, 3);
        using var both = SemanticGuide.Create(fixture.Model, One(("blue", 1.5), ("heart", 1.8)), scale: 1)!;
        using var blue = SemanticGuide.Create(fixture.Model, One(("blue", 1.5)), scale: 1)!;
        using var heart = SemanticGuide.Create(fixture.Model, One(("heart", 1.8)), scale: 1)!;
        var sum = blue.Gradient(image) + heart.Gradient(image);
        var combined = both.Gradient(image);
        double relative = ((combined - sum).norm() / sum.norm()).item<float>();
        Assert.True(relative < 1e-4, $"combined gradient differs from the sum by {relative:E2} (relative)");
        // and the parts are not the same direction, so the sum is a real combination
        Assert.True(((blue.Gradient(image) - heart.Gradient(image)).norm() / sum.norm()).item<float>() > 0.1);
    }

    [Fact]
    public void A_weight_below_one_pushes_the_other_way_and_weight_one_changes_nothing()
    {
        using var scope = NewDisposeScope();
        var image = FixedImage(32, 5);
        using var up = SemanticGuide.Create(fixture.Model, One(("red", 1.5)), scale: 1)!;
        using var down = SemanticGuide.Create(fixture.Model, One(("red", 0.5)), scale: 1)!;
        Assert.True((up.Gradient(image) + down.Gradient(image)).abs().max().item<float>() < 1e-6);
        Assert.Null(SemanticGuide.Create(fixture.Model, One(("red", 1.0)), scale: 1));
        Assert.Null(SemanticGuide.Create(fixture.Model, One(("red", 1.5)), scale: 0));
    }

    [Fact]
    public void Emphasis_moves_a_generation_towards_the_phrase_and_away_from_plain_sampling()
    {
        using var scope = NewDisposeScope();
        var pipeline = new CascadePipeline(fixture.Model);
        var prompt = PromptEmphasis.Parse("(blue:2) heart");
        CascadeRequest Request(bool emphasized) => new()
        {
            Prompt = prompt.Text, Seeds = [11, 12], StageCount = 1,
            ItemEmphasis = emphasized ? [prompt.Phrases, prompt.Phrases] : null,
        };
        var plain = pipeline.Generate(Request(false));
        var emphasized = pipeline.Generate(Request(true));
        var again = pipeline.Generate(Request(true));

        Assert.True(emphasized.allclose(again, rtol: 0, atol: 0), "emphasized sampling is not deterministic for a seed");
        Assert.False(emphasized.allclose(plain, atol: 1e-3), "emphasis changed nothing");
        var scorer = new AlignmentScorer(fixture.Model);
        double plainBlue = scorer.Similarities(plain, [["blue"], ["blue"]]).Average(s => s[0]);
        double emphasizedBlue = scorer.Similarities(emphasized, [["blue"], ["blue"]]).Average(s => s[0]);
        Assert.True(emphasizedBlue > plainBlue, $"'blue' similarity {emphasizedBlue:F3} emphasized vs {plainBlue:F3} plain");
    }

    [Fact]
    public void Reference_index_round_trips_in_half_precision_and_retrieves_the_nearest_images()
    {
        using var scope = NewDisposeScope();
        using var directory = new TempDirectory();
        var index = fixture.Model.References!;
        Assert.True(index.Count > 1000, $"only {index.Count} reference images");
        var path = System.IO.Path.Combine(directory.Path, "references.safetensors");
        index.Save(path);
        using var loaded = ReferenceIndex.Load(path, (int)index.Embeddings.shape[1], CPU);
        Assert.True(loaded.Embeddings.allclose(index.Embeddings, atol: 2e-3));

        // A query equal to one image's embedding retrieves (with k = 1) exactly that image.
        var query = index.Embeddings.narrow(0, 42, 1);
        Assert.True(index.Retrieve(query, 1).allclose(query, atol: 1e-5));

        File.WriteAllBytes(path, [1, 2, 3]);
        var error = Assert.ThrowsAny<Exception>(() => ReferenceIndex.Load(path, 128, CPU));
        Assert.Contains(path, error.Message);
    }
}

public class SemanticGuidanceStagesTests
{
    [Fact]
    public void The_gradient_stops_above_the_model_s_guided_stages_and_token_weights_do_not()
    {
        using var directory = new TempDirectory();
        CascadeBlueprint.Write(directory.Path, WordTokenizer.BuildVocabulary(["blue heart"]), CascadePreset.Tiny, seed: 1);
        var prompt = PromptEmphasis.Parse("(blue:1.5) heart");
        StageEmphasis Emphasis(CascadeModel model) =>
            StageEmphasis.Create(model, [prompt.Text], [prompt.Phrases], semanticScale: null, reweightTokens: true)!;

        // The default (the built-in model's setting): the base stage only.
        using (var model = CascadeModel.Load(directory.Path, CPU))
        using (var emphasis = Emphasis(model))
        {
            Assert.NotNull(emphasis.ForStage(model, 0).Guide);
            Assert.Null(emphasis.ForStage(model, 1).Guide);
            Assert.Same(emphasis.TokenWeights, emphasis.ForStage(model, 1).TokenWeights);
            // [cond; uncond]: "blue" (after <s>) weighs 1.5 in the conditional row only.
            Assert.Equal(1.5f, emphasis.TokenWeights![0, 1].item<float>());
            Assert.Equal(1f, emphasis.TokenWeights[1, 1].item<float>());
        }

        // null in cascade.json: every stage.
        (CascadeManifest.Load(directory.Path) with { SemanticGuidanceStages = null }).Save(directory.Path);
        using (var model = CascadeModel.Load(directory.Path, CPU))
        using (var emphasis = Emphasis(model))
        {
            Assert.Null(model.Manifest.SemanticGuidanceStages);
            Assert.NotNull(emphasis.ForStage(model, 2).Guide);
        }

        // Per-stage factors: each guided stage's share of the scale; above the guided stages, none whatever the list says.
        (CascadeManifest.Load(directory.Path) with { SemanticGuidanceStages = 2, SemanticGuidanceStageFactors = [1, 0.25, 1] }).Save(directory.Path);
        using (var model = CascadeModel.Load(directory.Path, CPU))
        using (var emphasis = Emphasis(model))
        {
            Assert.Equal(1, emphasis.ForStage(model, 0).GuideFactor);
            Assert.Equal(0.25, emphasis.ForStage(model, 1).GuideFactor);
            Assert.Same(emphasis.Guide, emphasis.ForStage(model, 1).Guide);
            Assert.Null(emphasis.ForStage(model, 2).Guide);
        }
    }

    [Fact]
    public void A_stage_factor_scales_the_step_exactly_as_the_scale_does_and_zero_turns_the_gradient_off()
    {
        using var directory = new TempDirectory();
        CascadeBlueprint.Write(directory.Path, WordTokenizer.BuildVocabulary(["blue heart"]), CascadePreset.Tiny, seed: 1);
        var prompt = PromptEmphasis.Parse("(blue:1.5) heart");
        byte[] Generate(double[]? factors, double scale)
        {
            (CascadeManifest.Load(directory.Path) with { SemanticGuidanceStages = 1, SemanticGuidanceStageFactors = factors }).Save(directory.Path);
            using var model = CascadeModel.Load(directory.Path, CPU);
            using var scope = NewDisposeScope();
            var images = new CascadePipeline(model).Generate(new CascadeRequest
            {
                Prompt = prompt.Text, Seeds = [5], StageCount = 1, ItemEmphasis = [prompt.Phrases], SemanticGuidanceScale = scale,
            });
            return images.data<float>().ToArray().SelectMany(BitConverter.GetBytes).ToArray();
        }

        var full = Generate(null, 400);
        Assert.Equal(Generate(null, 200), Generate([0.5], 400));
        Assert.NotEqual(full, Generate([0.5], 400));
        Assert.Equal(Generate(null, 0), Generate([0], 400));
        Assert.NotEqual(full, Generate([0], 400));
    }

    [Fact]
    public void A_negative_stage_factor_is_refused_naming_the_file()
    {
        using var directory = new TempDirectory();
        CascadeBlueprint.Write(directory.Path, WordTokenizer.BuildVocabulary(["blue heart"]), CascadePreset.Tiny, seed: 1);
        (CascadeManifest.Load(directory.Path) with { SemanticGuidanceStageFactors = [1, -0.5] }).Save(directory.Path);
        var error = Assert.Throws<InvalidDataException>(() => CascadeManifest.Load(directory.Path));
        Assert.Contains(Path.Combine(directory.Path, CascadeManifest.FileName), error.Message);
        Assert.Contains("semantic_guidance_stage_factors", error.Message);
    }
}
