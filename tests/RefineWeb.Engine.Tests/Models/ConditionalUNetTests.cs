using RefineWeb.Engine.Models;
using RefineWeb.Engine.Pipelines;
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
    public void Refiner_needs_and_uses_the_low_resolution_image()
    {
        using var scope = NewDisposeScope();
        using var stage = new DiffusionStage(Stage(1));
        // The output layer starts at zero; give it weights so the output depends on the inputs.
        using (no_grad()) foreach (var p in stage.parameters()) p.add_(randn_like(p) * 0.05);
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
    public void A_large_batch_runs_in_slices_with_the_same_prediction_and_the_slice_follows_the_stage_size()
    {
        using var scope = NewDisposeScope();
        using var stage = new DiffusionStage(Stage(1));
        using (no_grad()) foreach (var p in stage.parameters()) p.add_(randn_like(p) * 0.05);
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
            Assert.True(norm.weight!.eq(1).all().item<bool>());
            Assert.True(norm.bias!.eq(0).all().item<bool>());
            var y = norm.call(randn(2, 8, 4, 4) * 3 + 5);
            Assert.False(y.isnan().any().item<bool>());
            Assert.Equal(0, y.mean().item<float>(), 3);
        }
    }
}
