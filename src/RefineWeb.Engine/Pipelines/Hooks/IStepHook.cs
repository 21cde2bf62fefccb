using RefineWeb.Engine.Schedulers;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Hooks;

/// <summary>
/// An extra that changes a stage's denoising loop without living in it (as diffusers keeps RePaint and semantic
/// guidance beside its plain loop): the loop calls every hook at the same three points, in the order given. A hook
/// that does nothing at a point leaves the default.
/// </summary>
public interface IStepHook
{
    /// <summary>Where the stage starts in its noise schedule, if this hook decides it (RePaint's strength); null leaves it to the stage.</summary>
    double? StartStrength => null;

    /// <summary>
    /// How often each step is taken (RePaint's resampling, Lugmayr et al. 2022, section 4.2): after a step the sample
    /// is noised back to the step's own level and denoised again, so new content and fixed surroundings can agree.
    /// 1 = once, the plain loop; the loop takes the largest any hook asks.
    /// </summary>
    int TimesPerStep => 1;

    /// <summary>Once, before the first step: the sample the loop starts from.</summary>
    Tensor Begin(SamplingContext context, Tensor sample) => sample;

    /// <summary>Every step, between the (guided) network output and the sampler: the output the sampler gets.</summary>
    Tensor BeforeSamplerStep(SamplingContext context, int step, Tensor sample, Tensor output) => output;

    /// <summary>Every step, after the sampler: the next sample and the clean-image estimate the loop keeps and previews.</summary>
    SamplerStep AfterSamplerStep(SamplingContext context, int step, SamplerStep result) => result;
}
