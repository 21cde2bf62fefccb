using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Pipelines.Semantic;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Text;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Pipelines;

/// <summary>Semantic guidance and token re-weighting on the shipped model (its alignment model and reference index).</summary>
public class SemanticEmphasisTests(ShippedModelFixture fixture) : IClassFixture<ShippedModelFixture>
{
    static IReadOnlyList<IReadOnlyList<EmphasizedPhrase>> One(params (string Text, double Weight)[] phrases) =>
        [[.. phrases.Select(p => new EmphasizedPhrase(p.Text, p.Weight, 0))]];

    static Tensor FixedImage(int size, long seed) => rand([1, 3, size, size], generator: new Generator((ulong)seed)).Times(2).Minus(1);

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

        var stepped = image.Plus(gradient.Times(0.05 / gradient.abs().max().item<float>()));
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
        var sum = blue.Gradient(image).Plus(heart.Gradient(image));
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
        Assert.True(up.Gradient(image).Plus(down.Gradient(image)).abs().max().item<float>() < 1e-6);
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
    public void Keeping_the_prompt_removes_only_the_part_of_the_gradient_that_lowers_the_prompt_score()
    {
        using var scope = NewDisposeScope();
        var model = fixture.Model;
        // Pictures the base draws for "blue <object>" (on noise the alignment gradients of all texts mostly agree); what
        // is kept is the object, the prompt's other words, as the shipped model keeps them.
        string[] prompts = ["apple", "banana", "frog", "rocket", "taxi", "fish", "lion", "fox", "pizza", "apple"];
        int pushedAway = prompts.Length - 1;
        var images = new CascadePipeline(model).Generate(new CascadeRequest
        {
            Prompt = "blue apple", ItemPrompts = [.. prompts.Select(p => $"blue {p}")], Seeds = [.. Enumerable.Range(1, prompts.Length).Select(i => (long)i)], StageCount = 1,
        });
        // The last image pushes its phrase away: moving off the prompt is what it asks for, so its gradient stays whole.
        IReadOnlyList<IReadOnlyList<EmphasizedPhrase>> phrases =
            [.. prompts.Select((_, i) => (IReadOnlyList<EmphasizedPhrase>)[new EmphasizedPhrase("blue", i == pushedAway ? 0.5 : 1.8, 0)])];
        using var plainGuide = SemanticGuide.Create(model, phrases, scale: 1)!;
        using var keepingGuide = SemanticGuide.Create(model, phrases, scale: 1, keptPrompts: prompts)!;
        var plain = plainGuide.Gradient(images);
        var kept = keepingGuide.Gradient(images);

        // The prompt's own gradient, taken here from the alignment model directly.
        var promptEmbeddings = model.Alignment!.EncodeText(model.Tokenize(prompts)).detach();
        Tensor PromptScores(Tensor x, int first = 0) =>
            (model.Alignment.EncodeImage(x, zeros([x.shape[0]], ScalarType.Int64)) * promptEmbeddings[first..(first + (int)x.shape[0])]).sum(1);
        Tensor promptGradient;
        using (enable_grad())
        {
            var input = images.detach().requires_grad_(true);
            promptGradient = autograd.grad([PromptScores(input).sum()], [input])[0];
        }

        int conflicts = 0, strongConflicts = 0;
        for (int i = 0; i < prompts.Length; i++)
        {
            var (g, k, q) = (plain[i], kept[i], promptGradient[i]);
            double agreement = (g * q).sum().item<float>() / (g.norm() * q.norm()).item<float>();
            if (agreement < 0 && i != pushedAway)
            {
                conflicts++;
                double keptAgreement = (k * q).sum().item<float>() / (k.norm() * q.norm()).item<float>();
                Assert.True(Math.Abs(keptAgreement) < 1e-3, $"image {i}: kept gradient still has cosine {keptAgreement:F5} with the prompt's");
                // Only the component along the prompt's gradient went: what is left of g is unchanged.
                var removed = g - k;
                double alongPrompt = Math.Abs((removed * q).sum().item<float>()) / (removed.norm() * q.norm()).item<float>();
                Assert.True(alongPrompt > 0.999, $"image {i}: the removed part is not along the prompt's gradient ({alongPrompt:F5})");
                // Where they clearly conflict, a small step by the plain gradient lowers the prompt score and by the kept
                // one it barely does (second-order effects only).
                if (agreement > -0.1) continue;
                strongConflicts++;
                double step = 0.02 / g.abs().max().item<float>();
                double before = PromptScores(images[i..(i + 1)], i).item<float>();
                double afterPlain = PromptScores(images[i..(i + 1)].Plus(g.unsqueeze(0).Times(step)), i).item<float>();
                double afterKept = PromptScores(images[i..(i + 1)].Plus(k.unsqueeze(0).Times(step)), i).item<float>();
                Assert.True(afterPlain < before, $"image {i}: the plain step did not lower the prompt score");
                Assert.True(before - afterKept < 0.2 * (before - afterPlain), $"image {i} (cosine {agreement:F3}): prompt {before:F5} -> kept {afterKept:F5} (plain {afterPlain:F5})");
            }
            else Assert.True(k.allclose(g, rtol: 1e-4, atol: 1e-7), $"image {i}: the gradient changed where nothing conflicts (or a phrase is pushed away)");
        }
        Assert.True(conflicts >= 2 && strongConflicts >= 1,
            $"{conflicts} of the fixed images have a phrase gradient against the prompt's, {strongConflicts} clearly: the test checks too little");
    }

    [Fact]
    public void Keeping_the_other_words_keeps_the_prompt_without_its_emphasized_phrases()
    {
        // The shipped base and alignment model in a folder of their own whose cascade.json keeps the other words.
        using var directory = new TempDirectory();
        foreach (var file in new[] { "base.json", "base.safetensors", "align.json", "align.safetensors", "references.safetensors", "vocab.txt" })
            File.Copy(Path.Combine(ShippedModelFixture.Directory, file), Path.Combine(directory.Path, file));
        (fixture.Model.Manifest with { Stages = ["base"], SemanticGuidanceKeepsPrompt = true, SemanticGuidanceKeepsOtherWords = true, SemanticGuidanceAnchor = 0 })
            .Save(directory.Path);
        using var model = CascadeModel.Load(directory.Path, CPU);
        using var scope = NewDisposeScope();
        string[] objects = ["apple", "banana", "frog", "rocket", "taxi", "fish"];
        var images = new CascadePipeline(model).Generate(new CascadeRequest
        {
            Prompt = "blue apple", ItemPrompts = [.. objects.Select(o => $"blue {o}")], Seeds = [1, 2, 3, 4, 5, 6], StageCount = 1,
        });
        Tensor Kept(IEnumerable<string> kept, string phrase = "blue")
        {
            var phrases = objects.Select(_ => (IReadOnlyList<EmphasizedPhrase>)[new EmphasizedPhrase(phrase, 2, 0)]).ToList();
            using var guide = SemanticGuide.Create(model, phrases, scale: 1, keptPrompts: [.. kept])!;
            return guide.Gradient(images);
        }

        var emphasized = objects.Select(o => PromptEmphasis.Parse($"(blue:2) {o}")).ToList();
        using var emphasis = StageEmphasis.Create(model, [.. emphasized.Select(p => p.Text)], [.. emphasized.Select(p => p.Phrases)], semanticScale: 1, reweightTokens: false)!;
        var gradient = emphasis.Guide!.Gradient(images);
        Assert.True(gradient.allclose(Kept(objects), rtol: 1e-4, atol: 1e-7), "the guide did not keep the objects' names");
        var wholePrompt = Kept(objects.Select(o => $"blue {o}"));
        int differing = Enumerable.Range(0, objects.Length).Count(i => !gradient[i].allclose(wholePrompt[i], rtol: 1e-3, atol: 1e-6));
        Assert.True(differing >= 1, "keeping the object's name and keeping the whole prompt gave the same gradients on every image: the test checks nothing");

        // The anchor adds the kept words' own pull in brightness only: the same change in R, G and B, in proportion
        // to the anchor, and a step along it raises the image's alignment with the object's name.
        var phrasesPerItem = emphasized.Select(p => p.Phrases).ToList();
        Tensor Anchored(double anchor)
        {
            using var guide = SemanticGuide.Create(model, phrasesPerItem, scale: 1, keptPrompts: objects, anchor: anchor)!;
            return guide.Gradient(images);
        }
        var pull = Anchored(0.5) - gradient;
        Assert.True(pull.abs().max().item<float>() > 0, "the anchor changed nothing");
        Assert.True(pull[.., 0].allclose(pull[.., 1], atol: 1e-7) && pull[.., 1].allclose(pull[.., 2], atol: 1e-7), "the anchor changed colours, not only brightness");
        Assert.True((Anchored(1.0) - gradient).allclose(pull.Times(2), rtol: 1e-3, atol: 1e-7));
        var objectNames = model.Alignment!.EncodeText(model.Tokenize(objects)).detach();
        Tensor ObjectScores(Tensor x) => (model.Alignment.EncodeImage(x, zeros([x.shape[0]], ScalarType.Int64)) * objectNames).sum(1);
        var raised = ObjectScores(images.Plus(pull.Times(0.02 / pull.abs().max().item<float>()))) - ObjectScores(images);
        Assert.True(raised.min().item<float>() > 0, $"a step along the anchor lowered an object's score: {string.Join(", ", raised.data<float>().ToArray())}");
        Assert.Throws<ArgumentOutOfRangeException>(() => SemanticGuide.Create(model, phrasesPerItem, scale: 1, keptPrompts: objects, anchor: -1));
        // cascade.json's anchor reaches the guide.
        (model.Manifest with { SemanticGuidanceAnchor = 0.5 }).Save(directory.Path);
        using (var anchoredModel = CascadeModel.Load(directory.Path, CPU))
        using (var anchoredEmphasis = StageEmphasis.Create(anchoredModel, [.. emphasized.Select(p => p.Text)], phrasesPerItem, semanticScale: 1, reweightTokens: false)!)
            Assert.True(anchoredEmphasis.Guide!.Gradient(images).allclose(Anchored(0.5), rtol: 1e-4, atol: 1e-7), "cascade.json's anchor did not reach the guide");

        // A prompt that is all phrase has no other words: nothing is projected out.
        var alone = PromptEmphasis.Parse("(blue:2)");
        using var aloneEmphasis = StageEmphasis.Create(model, [.. objects.Select(_ => alone.Text)], [.. objects.Select(_ => alone.Phrases)], semanticScale: 1, reweightTokens: false)!;
        using var unkept = SemanticGuide.Create(model, [.. objects.Select(_ => alone.Phrases)], scale: 1)!;
        Assert.True(aloneEmphasis.Guide!.Gradient(images).allclose(unkept.Gradient(images), rtol: 1e-4, atol: 1e-7));
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

        // The default (the built-in model's setting): the base at full scale, the first refiner at a tenth, not the last.
        using (var model = CascadeModel.Load(directory.Path, CPU))
        using (var emphasis = Emphasis(model))
        {
            Assert.Equal(1, emphasis.ForStage(model, 0).GuideFactor);
            Assert.Equal(0.1, emphasis.ForStage(model, 1).GuideFactor);
            Assert.Null(emphasis.ForStage(model, 2).Guide);
            Assert.Same(emphasis.TokenWeights, emphasis.ForStage(model, 2).TokenWeights);
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
    public void Keeping_the_prompt_is_read_from_cascade_json_and_reaches_the_guide()
    {
        using var directory = new TempDirectory();
        CascadeBlueprint.Write(directory.Path, WordTokenizer.BuildVocabulary(["blue heart"]), CascadePreset.Tiny, seed: 1);
        var prompt = PromptEmphasis.Parse("(blue:2) heart");
        foreach (bool keepsPrompt in new[] { true, false })
        {
            var path = Path.Combine(directory.Path, CascadeManifest.FileName);
            var edited = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            edited["semantic_guidance_keeps_prompt"] = keepsPrompt;
            File.WriteAllText(path, edited.ToJsonString());
            using var model = CascadeModel.Load(directory.Path, CPU);
            Assert.Equal(keepsPrompt, model.Manifest.SemanticGuidanceKeepsPrompt);
            using var emphasis = StageEmphasis.Create(model, [prompt.Text], [prompt.Phrases], semanticScale: null, reweightTokens: true)!;
            Assert.Equal(keepsPrompt, emphasis.Guide!.KeepsPrompt);
        }
    }

    [Fact]
    public void A_negative_stage_factor_or_anchor_is_refused_naming_the_file()
    {
        using var directory = new TempDirectory();
        CascadeBlueprint.Write(directory.Path, WordTokenizer.BuildVocabulary(["blue heart"]), CascadePreset.Tiny, seed: 1);
        var valid = CascadeManifest.Load(directory.Path);
        (valid with { SemanticGuidanceStageFactors = [1, -0.5] }).Save(directory.Path);
        var error = Assert.Throws<InvalidDataException>(() => CascadeManifest.Load(directory.Path));
        Assert.Contains(Path.Combine(directory.Path, CascadeManifest.FileName), error.Message);
        Assert.Contains("semantic_guidance_stage_factors", error.Message);

        (valid with { SemanticGuidanceAnchor = -0.5 }).Save(directory.Path);
        error = Assert.Throws<InvalidDataException>(() => CascadeManifest.Load(directory.Path));
        Assert.Contains("semantic_guidance_anchor", error.Message);

        foreach (var strength in new[] { 0.0, 1.5, -0.5 })
        {
            (valid with { RegionRefinerStrength = strength }).Save(directory.Path);
            error = Assert.Throws<InvalidDataException>(() => CascadeManifest.Load(directory.Path));
            Assert.Contains("region_refiner_strength", error.Message);
        }
        (valid with { RegionRefinerStrength = 0.5 }).Save(directory.Path);
        Assert.Equal(0.5, CascadeManifest.Load(directory.Path).RegionRefinerStrength);
    }
}
