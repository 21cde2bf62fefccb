using RefineWeb.Engine.Models;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Models;

public class ConditionalUNetTests
{
    static StageConfig Stage(int index) => CascadeBlueprint.Stages(CascadePreset.Tiny, 50)[index];

    static TextEncoding Text(DiffusionStage stage, int batch) =>
        stage.EncodeText(tensor(Enumerable.Range(0, batch).SelectMany(i => new long[] { 2, 5 + i, 3, 0, 0, 0 }).ToArray(), [batch, 6]));

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    public void Base_unet_maps_an_image_to_the_same_shape_at_any_multiple_of_its_size(int side)
    {
        using var scope = NewDisposeScope();
        using var stage = new DiffusionStage(Stage(0));
        var output = stage.Denoise(new DenoiserInput(randn(2, 3, side, side), tensor(new long[] { 10, 900 }), Text(stage, 2)));
        Assert.Equal([2L, 3, side, side], output.shape);
    }

    [Fact]
    public void A_layout_channel_widened_from_a_trained_base_changes_nothing_until_trained_and_no_layout_means_the_whole_picture()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var config = Stage(0);
        using var plain = new DiffusionStage(config);
        using (no_grad()) foreach (var p in plain.parameters()) p.PlusInPlace(randn_like(p).Times(0.05));
        var path = dir.File("base.safetensors");
        RefineWeb.Engine.Weights.TensorWeights.Save(plain, path);
        using var withLayout = new DiffusionStage(config with { UNet = config.UNet with { LayoutChannels = 1 } });
        Assert.Equal(["unet.conv_in.weight"], RefineWeb.Engine.Weights.TensorWeights.Load(withLayout, path, widenInputs: true));

        using var noGrad = no_grad();
        var x = randn(2, 3, 16, 16);
        var t = tensor(new long[] { 300, 700 });
        var text = Text(plain, 2);
        var left = zeros(2, 1, 16, 16);
        left[.., .., .., TensorIndex.Slice(0, 8)].Fill(1);
        var before = plain.Denoise(new DenoiserInput(x, t, text));
        Assert.True(before.equal(withLayout.Denoise(new DenoiserInput(x, t, text))).all().item<bool>());
        Assert.True(before.equal(withLayout.Denoise(new DenoiserInput(x, t, text, Layout: left))).all().item<bool>());

        // Once the layout channel has weights, the layout matters, and none given is the whole picture.
        var convIn = withLayout.named_parameters().Single(p => p.name == "unet.conv_in.weight").parameter;
        convIn.select(1, 3).copy_(randn_like(convIn.select(1, 3)).Times(0.5));
        var whole = withLayout.Denoise(new DenoiserInput(x, t, text, Layout: ones(2, 1, 16, 16)));
        Assert.True(whole.equal(withLayout.Denoise(new DenoiserInput(x, t, text))).all().item<bool>());
        Assert.False(whole.allclose(withLayout.Denoise(new DenoiserInput(x, t, text, Layout: left))));
    }

    [Fact]
    public void Refiner_needs_and_uses_the_low_resolution_image()
    {
        using var scope = NewDisposeScope();
        using var stage = new DiffusionStage(Stage(1));
        // The output layer starts at zero; give it weights so the output depends on the inputs.
        using (no_grad()) foreach (var p in stage.parameters()) p.PlusInPlace(randn_like(p).Times(0.05));
        var x = randn(1, 3, 32, 32);
        var t = tensor(new long[] { 500 });
        var text = Text(stage, 1);
        Assert.Throws<ArgumentException>(() => stage.Denoise(new DenoiserInput(x, t, text)));
        var level = tensor(new long[] { 100 });
        var a = stage.Denoise(new DenoiserInput(x, t, text, zeros(1, 3, 32, 32), level));
        var b = stage.Denoise(new DenoiserInput(x, t, text, ones(1, 3, 32, 32), level));
        Assert.Equal([1L, 3, 32, 32], a.shape);
        Assert.False(a.allclose(b));
    }

    [Fact]
    public void DeepCache_reuses_the_kept_deep_features_so_the_same_input_gives_the_same_prediction_and_a_new_one_moves_only_the_finest_level()
    {
        using var scope = NewDisposeScope();
        using var stage = new DiffusionStage(Stage(0));
        using (no_grad()) foreach (var p in stage.parameters()) p.PlusInPlace(randn_like(p).Times(0.05));
        using var noGrad = no_grad();
        var x = randn(2, 3, 16, 16);
        var text = Text(stage, 2);
        var early = tensor(new long[] { 900, 900 });
        using var cache = new DeepFeatureCache();

        var full = stage.Denoise(new DenoiserInput(x, early, text, DeepCache: cache)); // keeps the deep features
        cache.Reuse = true;
        var reused = stage.Denoise(new DenoiserInput(x, early, text, DeepCache: cache));
        Assert.True(full.allclose(reused, rtol: 1e-5, atol: 1e-6), $"largest difference {(full - reused).abs().max().item<float>()}");

        // At the next timestep the reused pass differs from a full one (the deep features are the earlier step's), and it
        // differs from the earlier prediction (the finest level saw the new timestep).
        var later = tensor(new long[] { 800, 800 });
        var shallow = stage.Denoise(new DenoiserInput(x, later, text, DeepCache: cache));
        var exact = stage.Denoise(new DenoiserInput(x, later, text));
        Assert.False(shallow.allclose(exact, rtol: 1e-5, atol: 1e-6));
        Assert.False(shallow.allclose(full, rtol: 1e-5, atol: 1e-6));

        // A pass of other rows than the kept ones runs in full (and keeps its own).
        var three = stage.Denoise(new DenoiserInput(randn(3, 3, 16, 16), tensor(new long[] { 800, 800, 800 }), Text(stage, 3), DeepCache: cache));
        Assert.Equal([3L, 3, 16, 16], three.shape);
    }

    [Fact]
    public void A_stage_sampled_with_a_deep_cache_interval_of_one_is_the_plain_stage_and_two_stays_close()
    {
        using var scope = NewDisposeScope();
        using var stage = new DiffusionStage(Stage(0));
        using (no_grad()) foreach (var p in stage.parameters()) p.PlusInPlace(randn_like(p).Times(0.05));
        using var noGrad = no_grad();
        var tokens = tensor(new long[] { 2, 5, 3, 0, 0, 0, 2, 3, 0, 0, 0, 0 }, [2, 6]);
        Tensor Sample(int interval)
        {
            using var generator = new Generator(7);
            return RefineWeb.Engine.Pipelines.Cascade.StageSampling.Run(stage, tokens, null, [generator],
                new RefineWeb.Engine.Pipelines.Cascade.StageSamplingSettings(6, 3.0, DeepCacheInterval: interval));
        }
        var plain = Sample(1);
        Assert.True(plain.allclose(Sample(1), rtol: 0, atol: 0)); // the same seed, the same samples
        var cached = Sample(2);
        Assert.False(cached.allclose(plain, rtol: 0, atol: 0)); // every other step reused the deep features
        Assert.True((cached - plain).abs().mean().item<float>() < 0.5f, "DeepCache every 2 steps strays far from the plain samples");
    }

    [Fact]
    public void A_large_batch_runs_in_slices_with_the_same_prediction_and_the_slice_follows_the_stage_size()
    {
        using var scope = NewDisposeScope();
        using var stage = new DiffusionStage(Stage(1));
        using (no_grad()) foreach (var p in stage.parameters()) p.PlusInPlace(randn_like(p).Times(0.05));
        var input = new DenoiserInput(randn(5, 3, 32, 32), tensor(new long[] { 10, 200, 400, 600, 900 }), Text(stage, 5), randn(5, 3, 32, 32), tensor(new long[] { 100, 100, 50, 0, 100 }));
        using var noGrad = no_grad();
        var whole = stage.Denoise(input, rowsPerPass: 5);
        var sliced = stage.Denoise(input, rowsPerPass: 2); // 2 + 2 + 1 rows
        Assert.Equal(whole.shape, sliced.shape);
        Assert.True(whole.allclose(sliced, rtol: 1e-4, atol: 1e-5), $"largest difference {(whole - sliced).abs().max().item<float>()}");

        // The shipped 256 px refiner (16 base channels) takes 2 rows a pass, the 16 px base (64) 128.
        Assert.Equal(2, new DiffusionStage(CascadeBlueprint.Stages(CascadePreset.Emoji, 50)[4]).MaxRowsPerPass);
        Assert.Equal(128, new DiffusionStage(CascadeBlueprint.Stages(CascadePreset.Emoji, 50)[0]).MaxRowsPerPass);
    }

    [Fact]
    public void Text_encoder_ignores_padding_when_pooling()
    {
        using var scope = NewDisposeScope();
        using var encoder = new TextEncoder(Stage(0).TextEncoder);
        var a = encoder.call(tensor(new long[] { 2, 7, 3, 0, 0 }, [1, 5]));
        var b = encoder.call(tensor(new long[] { 2, 7, 3, 0 }, [1, 4]));
        Assert.True(a.Pooled.allclose(b.Pooled, rtol: 1e-5, atol: 1e-6));
        Assert.Equal([1L, 5, 32], a.Tokens.shape);
    }

    [Fact]
    public void State_dict_keys_name_the_stage_parts()
    {
        using var stage = new DiffusionStage(Stage(1));
        var keys = stage.state_dict().Keys.ToList();
        Assert.Contains("text_encoder.token_embedding.weight", keys);
        Assert.Contains("unet.conv_in.weight", keys);
        Assert.Contains("unet.noise_level_embedding.fc1.weight", keys);
        Assert.Contains(keys, k => k.StartsWith("unet.down_levels.2.attentions.0.cross_attention.to_k", StringComparison.Ordinal));
    }
}

public class NormalizationTests
{
    [Fact]
    public void Group_norm_starts_as_a_plain_normalization()
    {
        using var scope = NewDisposeScope();
        for (int i = 0; i < 5; i++) // uninitialized memory differs between allocations: try several
        {
            var norm = Normalization.Group(4, 8);
            Assert.True(norm.weight!.EqualTo(1).all().item<bool>());
            Assert.True(norm.bias!.EqualTo(0).all().item<bool>());
            var y = norm.call(randn(2, 8, 4, 4).Times(3).Plus(5));
            Assert.False(y.isnan().any().item<bool>());
            Assert.Equal(0, y.mean().item<float>(), 3);
        }
    }
}
