using RefineWeb.Engine.Models;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Models;

/// <summary>The 128 and 256 px refiners of the emoji preset: fully convolutional, and one network pass per step at guidance 1.</summary>
[Collection(nameof(ProcessWideState))]
public class HighResolutionRefinerTests
{
    static IReadOnlyList<StageConfig> Emoji => CascadeBlueprint.Stages(CascadePreset.Emoji, 60);

    [Fact]
    public void The_emoji_preset_has_five_stages_doubling_to_256_px_and_the_tiny_one_keeps_three()
    {
        Assert.Equal([16, 32, 64, 128, 256], Emoji.Select(s => s.Resolution));
        Assert.Equal(["base", "refiner32", "refiner64", "refiner128", "refiner256"], Emoji.Select(s => s.Name));
        Assert.Equal([16, 32, 64], CascadeBlueprint.Stages(CascadePreset.Tiny, 60).Select(s => s.Resolution));
        Assert.All(Emoji.Skip(3), s => Assert.Equal(1, s.DefaultGuidanceScale));
    }

    [Fact]
    public void Without_middle_attention_a_refiner_has_no_attention_module_and_runs_on_any_multiple_of_its_size()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var stage = new DiffusionStage(Emoji[4]);
        Assert.DoesNotContain(stage.UNet.modules(), m => m is SpatialTransformer);
        using (no_grad()) foreach (var p in stage.parameters()) p.PlusInPlace(randn_like(p).Times(0.02));
        var text = stage.EncodeText(tensor(new long[] { 2, 7, 3, 0 }, [1, 4]));
        // A 64 px training crop and the whole 256 px picture through the same weights.
        foreach (var side in new[] { 64, 256 })
        {
            using var noGrad = no_grad();
            var output = stage.Denoise(new DenoiserInput(randn(1, 3, side, side), tensor(new long[] { 500 }), text, randn(1, 3, side, side), tensor(new long[] { 50 })));
            Assert.Equal([1L, 3, side, side], output.shape);
        }
    }

    [Fact]
    public void Guidance_1_samples_the_conditional_prediction_alone()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var config = CascadeBlueprint.Stages(CascadePreset.Tiny, 60)[1];
        using var stage = new DiffusionStage(config);
        using (no_grad()) foreach (var p in stage.parameters()) p.PlusInPlace(randn_like(p).Times(0.05));
        stage.eval();
        // Different conditional and unconditional captions, so that real guidance would differ from no guidance.
        var tokens = tensor(new long[] { 2, 7, 3, 0, 2, 3, 0, 0 }, [2, 4]);
        var lower = rand(1, 3, 16, 16).Times(2).Minus(1);
        Tensor Sample(double guidance)
        {
            using var generator = new Generator(11);
            using var noGrad = no_grad();
            return StageSampling.Run(stage, tokens, lower, [generator], new StageSamplingSettings(3, guidance));
        }
        var single = Sample(1);
        var doubled = Sample(1 + 1e-9); // two passes combined as uncond + s (cond - uncond), s a hair above 1
        var strong = Sample(3);
        Assert.True(single.allclose(doubled, rtol: 1e-4, atol: 1e-4), $"max difference {(single - doubled).abs().max().item<float>()}");
        Assert.False(single.allclose(strong, atol: 1e-3));
    }
}
