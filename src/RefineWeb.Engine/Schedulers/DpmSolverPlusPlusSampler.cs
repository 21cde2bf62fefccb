using RefineWeb.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Schedulers;

/// <summary>
/// DPM-Solver++(2M) (Lu et al. 2022, algorithm 2), multistep, in data (x0) prediction.
/// With lambda = log(alpha/sigma), h = lambda_next - lambda_cur:
/// first order:  x_next = (sigma_next/sigma_cur) x - alpha_next (e^{-h} - 1) D0,
/// second order: the same with D = D0 + (1/(2 r)) (D0 - D_prev), r = h_prev / h.
/// The final step (to the clean image) and the first step are first order, which is also what keeps few-step
/// sampling stable (diffusers' lower_order_final).
/// </summary>
public sealed class DpmSolverPlusPlusSampler(NoiseSchedule schedule, bool clipSample = true) : IDiffusionSampler
{
    int[] timesteps = [];
    Tensor? previousOriginal;
    int lastIndex = -1;

    public NoiseSchedule Schedule { get; } = schedule;
    public IReadOnlyList<int> Timesteps => timesteps;

    public void SetTimesteps(int steps, double strength = 1.0)
    {
        timesteps = TimestepSpacing.TrailingFrom(Schedule.TrainTimesteps, steps, strength);
        ResetHistory();
    }

    double Lambda(int t) => Math.Log(Schedule.SignalScale(t)) - Math.Log(Schedule.NoiseScale(t));

    public SamplerStep Step(Tensor modelOutput, int index, Tensor sample, Generator? generator = null)
    {
        if (index != lastIndex + 1) ResetHistory(); // a new run, or steps skipped: no valid history
        int t = timesteps[index];
        int next = index + 1 < timesteps.Length ? timesteps[index + 1] : -1;

        using var scope = NewDisposeScope();
        var (x0, _) = Schedule.Split(modelOutput, t, sample);
        if (clipSample) x0 = x0.ClampTo(-1, 1);

        Tensor result;
        if (next < 0)
        {
            result = x0.alias(); // sigma_next = 0: the solver lands on its data estimate
        }
        else
        {
            double alphaNext = Schedule.SignalScale(next), sigmaNext = Schedule.NoiseScale(next);
            double h = Lambda(next) - Lambda(t);
            var d = x0;
            if (previousOriginal is not null && index > 0)
            {
                double hPrevious = Lambda(t) - Lambda(timesteps[index - 1]);
                double r = hPrevious / h;
                d = x0.Plus((x0 - previousOriginal).Over(2 * r));
            }
            result = sample.Times(sigmaNext / Schedule.NoiseScale(t)) - d.Times(alphaNext * (Math.Exp(-h) - 1));
        }

        previousOriginal?.Dispose();
        // The history is this sampler's own: it lives outside every dispose scope until the next step replaces it.
        previousOriginal = x0.detach().clone().DetachFromDisposeScope();
        lastIndex = index;
        return new SamplerStep(result.MoveToOuterDisposeScope(), x0.MoveToOuterDisposeScope());
    }

    void ResetHistory()
    {
        previousOriginal?.Dispose();
        previousOriginal = null;
        lastIndex = -1;
    }

    public void Dispose() => ResetHistory();
}
