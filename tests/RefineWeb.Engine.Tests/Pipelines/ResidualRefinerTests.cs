using RefineWeb.Engine.Models;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Pipelines;

/// <summary>A residual refiner denoises (image - bicubic) x scale: even untrained, its output stays near bicubic.</summary>
[Collection(nameof(ProcessWideState))]
public sealed class ResidualRefinerTests
{
    static Tensor Refine(StageConfig config, Tensor lower)
    {
        manual_seed(5);
        using var stage = new DiffusionStage(config);
        stage.eval();
        using var _ = no_grad();
        var tokens = ones([2, config.TextEncoder.MaxLength], ScalarType.Int64); // a real word everywhere (all padding would mask every key)
        using var generator = new Generator(9);
        return StageSampling.Run(stage, tokens, lower, [generator], new StageSamplingSettings(3, 1.0));
    }

    [Fact]
    public void An_untrained_residual_refiner_stays_near_bicubic_where_an_image_refiner_does_not()
    {
        var refiner = CascadeBlueprint.Stages(CascadePreset.Tiny, 10)[1];
        manual_seed(1);
        using var lower = rand([1, 3, 16, 16]).Times(2).Minus(1);
        using var bicubic = StageSampling.UpsampleForRefiner(lower, 32);

        using var plain = Refine(refiner, lower);
        using var residual = Refine(refiner with { ResidualScale = 8 }, lower);

        Assert.Equal(bicubic.shape, residual.shape);
        Assert.True(residual.abs().max().item<float>() <= 1f, $"images stay in range: max {residual.abs().max().item<float>()}, plain {plain.abs().max().item<float>()}");
        double plainError = (plain - bicubic).abs().mean().item<float>();
        double residualError = (residual - bicubic).abs().mean().item<float>();
        Assert.True(residualError < plainError / 4, $"residual {residualError:F3} vs plain {plainError:F3} from bicubic");
    }

    [Fact]
    public void Residual_scale_is_refused_on_a_base_stage()
    {
        var baseStage = CascadeBlueprint.Stages(CascadePreset.Tiny, 10)[0] with { ResidualScale = 4 };
        var error = Assert.Throws<InvalidDataException>(baseStage.Validate);
        Assert.Contains("residual_scale", error.Message);
    }
}
