using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Schedulers;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Schedulers;

public class SamplerTests
{
    static readonly NoiseSchedule EpsilonSchedule = new(BetaSchedule.Linear, 1000, PredictionType.Epsilon);

    static Tensor Scalar(double value) => tensor(new[] { (float)value }).reshape(1, 1, 1, 1);

    [Fact]
    public void Deterministic_ddim_step_matches_the_hand_computation()
    {
        using var scope = NewDisposeScope();
        var sampler = new DdimSampler(EpsilonSchedule, eta: 0, clipSample: false);
        sampler.SetTimesteps(10); // 999, 899, ...
        double xt = 0.3, eps = 0.8;
        double ab = EpsilonSchedule.AlphasCumprod[999], abPrev = EpsilonSchedule.AlphasCumprod[899];
        double x0 = (xt - Math.Sqrt(1 - ab) * eps) / Math.Sqrt(ab);
        double expected = Math.Sqrt(abPrev) * x0 + Math.Sqrt(1 - abPrev) * eps;

        var step = sampler.Step(Scalar(eps), 0, Scalar(xt));
        Assert.Equal(expected, step.PreviousSample.item<float>(), 3);
        Assert.Equal(x0, step.PredictedOriginal.item<float>(), 2);
    }

    [Fact]
    public void Stochastic_ddim_step_adds_sigma_times_the_generator_noise()
    {
        using var scope = NewDisposeScope();
        var sampler = new DdimSampler(EpsilonSchedule, eta: 1, clipSample: false);
        sampler.SetTimesteps(10);
        double xt = 0.3, eps = 0.8, eta = 1;
        int index = 5, t = sampler.Timesteps[index], prev = sampler.Timesteps[index + 1];
        double ab = EpsilonSchedule.AlphasCumprod[t], abPrev = EpsilonSchedule.AlphasCumprod[prev];
        double x0 = (xt - Math.Sqrt(1 - ab) * eps) / Math.Sqrt(ab);
        double sigma = eta * Math.Sqrt((1 - abPrev) / (1 - ab)) * Math.Sqrt(1 - ab / abPrev);
        using var generator = new Generator(7);
        using var reference = new Generator(7);
        double z = randn([1, 1, 1, 1], generator: reference).item<float>();
        double expected = Math.Sqrt(abPrev) * x0 + Math.Sqrt(1 - abPrev - sigma * sigma) * eps + sigma * z;

        var step = sampler.Step(Scalar(eps), index, Scalar(xt), generator);
        Assert.Equal(expected, step.PreviousSample.item<float>(), 4);
    }

    [Fact]
    public void Last_ddim_step_lands_on_the_clean_estimate()
    {
        using var scope = NewDisposeScope();
        var sampler = new DdimSampler(EpsilonSchedule, eta: 0, clipSample: false);
        sampler.SetTimesteps(4);
        var step = sampler.Step(Scalar(0.1), 3, Scalar(0.2));
        Assert.Equal(step.PredictedOriginal.item<float>(), step.PreviousSample.item<float>(), 6);
    }

    [Fact]
    public void First_dpm_solver_step_equals_deterministic_ddim()
    {
        // DPM-Solver++ of first order is DDIM (Lu et al. 2022, section 4.1).
        using var scope = NewDisposeScope();
        var ddim = new DdimSampler(EpsilonSchedule, eta: 0, clipSample: false);
        using var dpm = new DpmSolverPlusPlusSampler(EpsilonSchedule, clipSample: false);
        ddim.SetTimesteps(8);
        dpm.SetTimesteps(8);
        manual_seed(3);
        var x = randn(1, 3, 4, 4);
        var output = randn(1, 3, 4, 4).Times(0.5);
        var a = ddim.Step(output, 0, x).PreviousSample;
        var b = dpm.Step(output, 0, x).PreviousSample;
        Assert.True(a.allclose(b, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Second_dpm_solver_step_uses_the_previous_data_estimate()
    {
        using var scope = NewDisposeScope();
        var schedule = EpsilonSchedule;
        using var dpm = new DpmSolverPlusPlusSampler(schedule, clipSample: false);
        dpm.SetTimesteps(10);
        var ts = dpm.Timesteps;
        double Lambda(int t) => Math.Log(schedule.SignalScale(t) / schedule.NoiseScale(t));

        double x0Sample = 0.5, eps0 = 0.2, eps1 = -0.4;
        double x = schedule.SignalScale(ts[0]) * x0Sample + schedule.NoiseScale(ts[0]) * eps0;
        var first = dpm.Step(Scalar(eps0), 0, Scalar(x));
        double m0 = first.PredictedOriginal.item<float>();
        double x1 = first.PreviousSample.item<float>();
        var second = dpm.Step(Scalar(eps1), 1, Scalar(x1));

        double m1 = (x1 - schedule.NoiseScale(ts[1]) * eps1) / schedule.SignalScale(ts[1]);
        double h = Lambda(ts[2]) - Lambda(ts[1]), hPrev = Lambda(ts[1]) - Lambda(ts[0]);
        double d = m1 + (m1 - m0) / (2 * (hPrev / h));
        double expected = schedule.NoiseScale(ts[2]) / schedule.NoiseScale(ts[1]) * x1 - schedule.SignalScale(ts[2]) * (Math.Exp(-h) - 1) * d;
        Assert.Equal(expected, second.PreviousSample.item<float>(), 3);
    }

    [Fact]
    public void Guidance_extrapolates_from_unconditional_towards_conditional()
    {
        using var scope = NewDisposeScope();
        var doubled = tensor(new float[] { 3f, 1f }).reshape(2, 1);
        Assert.Equal(1 + 4 * (3 - 1), ClassifierFreeGuidance.CombineBatch(doubled, 4).item<float>());
        Assert.Equal(3f, ClassifierFreeGuidance.CombineBatch(doubled, 1).item<float>());
    }
}
