using RefineWeb.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Schedulers;

/// <summary>
/// DDIM (Song, Meng and Ermon 2021, eq. 12):
/// x_{t-1} = sqrt(ab_prev) x0 + sqrt(1 - ab_prev - sigma_t^2) eps + sigma_t z,
/// sigma_t = eta sqrt((1 - ab_prev)/(1 - ab_t)) sqrt(1 - ab_t/ab_prev).
/// The last step goes to alpha-bar = 1 (the clean image).
/// </summary>
public sealed class DdimSampler(NoiseSchedule schedule, double eta = 0.0, bool clipSample = true) : IDiffusionSampler
{
    int[] timesteps = [];

    public NoiseSchedule Schedule { get; } = schedule;
    public double Eta { get; } = eta;
    public IReadOnlyList<int> Timesteps => timesteps;

    public void SetTimesteps(int steps, double strength = 1.0) =>
        timesteps = TimestepSpacing.TrailingFrom(Schedule.TrainTimesteps, steps, strength);

    public SamplerStep Step(Tensor modelOutput, int index, Tensor sample, Generator? generator = null)
    {
        int t = timesteps[index];
        int prev = index + 1 < timesteps.Length ? timesteps[index + 1] : -1;
        double abT = Schedule.AlphasCumprod[t];
        double abPrev = prev >= 0 ? Schedule.AlphasCumprod[prev] : 1.0;

        using var scope = NewDisposeScope();
        var (x0, eps) = Schedule.Split(modelOutput, t, sample);
        if (clipSample)
        {
            x0 = x0.ClampTo(-1, 1);
            // Keep eps consistent with the clipped x0 so the step stays on the same trajectory.
            eps = (sample - x0.Times(Math.Sqrt(abT))).Over(Math.Sqrt(1 - abT));
        }
        double sigma = Eta * Math.Sqrt((1 - abPrev) / (1 - abT)) * Math.Sqrt(1 - abT / abPrev);
        var previous = x0.Times(Math.Sqrt(abPrev)).Plus(eps.Times(Math.Sqrt(Math.Max(1 - abPrev - sigma * sigma, 0))));
        if (sigma > 0)
            previous = previous.Plus(randn(sample.shape, sample.dtype, sample.device, generator: generator).Times(sigma));
        return new SamplerStep(previous.MoveToOuterDisposeScope(), x0.MoveToOuterDisposeScope());
    }

    public void Dispose() { }
}
