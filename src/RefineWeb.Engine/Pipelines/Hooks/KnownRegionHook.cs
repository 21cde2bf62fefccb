using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Schedulers;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Hooks;

/// <summary>
/// Masked refinement at one stage (RePaint, Lugmayr et al. 2022): where <paramref name="keep"/> is 1 the picture is
/// <paramref name="image"/>, re-imposed after every step noised to the next step's timestep, so the new content
/// (where keep is 0) blends with fixed surroundings. Sampling starts from the image noised to
/// <paramref name="strength"/> of the schedule. With <paramref name="timesPerStep"/> above 1, each step is taken
/// again after a jump back (RePaint's resampling).
/// </summary>
/// <param name="image">[B, 3, r, r] in [-1, 1] at the stage's resolution.</param>
/// <param name="keep">[B, 1, r, r], 1 = keep the image, 0 = re-refine.</param>
public sealed class KnownRegionHook(Tensor image, Tensor keep, double strength, int timesPerStep = 1) : IStepHook
{
    Tensor? knownDenoised, keepOnDevice;

    public double? StartStrength => strength;

    public int TimesPerStep => timesPerStep;

    public Tensor Begin(SamplingContext context, Tensor sample)
    {
        knownDenoised = context.AsDenoised(image.to(sample.device));
        keepOnDevice = keep.to(sample.device);
        return strength < 1 ? context.Schedule.AddNoise(knownDenoised, context.Noise(), context.TimestepsOf(context.Timesteps[0])) : sample;
    }

    public SamplerStep AfterSamplerStep(SamplingContext context, int step, SamplerStep result)
    {
        // Outside the region, the known picture at the next step's noise level (clean after the last step).
        var knownNext = step + 1 < context.Timesteps.Count
            ? context.Schedule.AddNoise(knownDenoised!, context.Noise(), context.TimestepsOf(context.Timesteps[step + 1]))
            : knownDenoised!;
        return new SamplerStep((keepOnDevice! * knownNext).Plus(keepOnDevice!.SubtractedFrom(1) * result.PreviousSample),
            (keepOnDevice! * knownDenoised!).Plus(keepOnDevice!.SubtractedFrom(1) * result.PredictedOriginal));
    }
}
