using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Schedulers;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Schedulers;

public class NoiseScheduleTests
{
    [Fact]
    public void Linear_betas_run_from_start_to_end_and_alpha_bar_is_their_running_product()
    {
        var schedule = new NoiseSchedule(BetaSchedule.Linear, 1000, PredictionType.Epsilon, 1e-4, 0.02);
        Assert.Equal(1e-4, schedule.Betas[0], 12);
        Assert.Equal(0.02, schedule.Betas[999], 12);
        Assert.Equal(1e-4 + (0.02 - 1e-4) * 500 / 999, schedule.Betas[500], 12);
        double product = 1;
        for (int t = 0; t <= 10; t++) product *= 1 - schedule.Betas[t];
        Assert.Equal(product, schedule.AlphasCumprod[10], 12);
        Assert.Equal(1 - schedule.Betas[3], schedule.Alphas[3], 12);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(250)]
    [InlineData(500)]
    [InlineData(900)]
    public void Cosine_alpha_bar_follows_the_closed_form(int t)
    {
        var schedule = new NoiseSchedule(BetaSchedule.Cosine, 1000);
        static double F(double u) => Math.Pow(Math.Cos((u + 0.008) / 1.008 * Math.PI / 2), 2);
        Assert.Equal(F((t + 1) / 1000.0) / F(0), schedule.AlphasCumprod[t], 9);
    }

    [Fact]
    public void Cosine_schedule_ends_near_pure_noise_with_clipped_betas()
    {
        var schedule = new NoiseSchedule(BetaSchedule.Cosine, 1000);
        Assert.True(schedule.AlphasCumprod[999] < 1e-4);
        Assert.Equal(0.999, schedule.Betas.Max(), 12);
    }

    [Fact]
    public void Add_noise_is_alpha_x0_plus_sigma_eps_per_item()
    {
        var schedule = new NoiseSchedule(BetaSchedule.Linear, 1000, PredictionType.Epsilon);
        using var scope = NewDisposeScope();
        var x0 = tensor(new float[] { 0.5f, -0.25f }).reshape(2, 1, 1, 1);
        var eps = tensor(new float[] { 1f, 2f }).reshape(2, 1, 1, 1);
        var noisy = schedule.AddNoise(x0, eps, tensor(new long[] { 10, 700 }));
        Assert.Equal(Math.Sqrt(schedule.AlphasCumprod[10]) * 0.5 + Math.Sqrt(1 - schedule.AlphasCumprod[10]) * 1, noisy[0].item<float>(), 5);
        Assert.Equal(Math.Sqrt(schedule.AlphasCumprod[700]) * -0.25 + Math.Sqrt(1 - schedule.AlphasCumprod[700]) * 2, noisy[1].item<float>(), 5);
    }

    [Theory]
    [InlineData(PredictionType.Epsilon)]
    [InlineData(PredictionType.VPrediction)]
    [InlineData(PredictionType.Sample)]
    public void Split_recovers_x0_and_eps_from_the_training_target(PredictionType prediction)
    {
        var schedule = new NoiseSchedule(BetaSchedule.Cosine, 1000, prediction);
        using var scope = NewDisposeScope();
        manual_seed(1);
        var x0 = rand(1, 3, 4, 4).Times(2).Minus(1);
        var eps = randn(1, 3, 4, 4);
        var t = tensor(new long[] { 420 });
        var noisy = schedule.AddNoise(x0, eps, t);
        var target = schedule.TrainingTarget(x0, eps, t);
        var (x0Hat, epsHat) = schedule.Split(target, 420, noisy);
        Assert.True(x0Hat.allclose(x0, rtol: 1e-4, atol: 1e-4));
        Assert.True(epsHat.allclose(eps, rtol: 1e-4, atol: 1e-4));
    }

    [Theory]
    [InlineData(PredictionType.Epsilon)]
    [InlineData(PredictionType.VPrediction)]
    [InlineData(PredictionType.Sample)]
    public void OutputFor_is_the_output_that_Split_reads_back_as_the_given_x0(PredictionType prediction)
    {
        var schedule = new NoiseSchedule(BetaSchedule.Cosine, 1000, prediction);
        using var scope = NewDisposeScope();
        manual_seed(2);
        var sample = randn(1, 3, 4, 4);
        var wanted = rand(1, 3, 4, 4).Times(2).Minus(1);
        var output = schedule.OutputFor(wanted, 300, sample);
        var (x0, eps) = schedule.Split(output, 300, sample);
        Assert.True(x0.allclose(wanted, rtol: 1e-4, atol: 1e-4));
        // and consistent: x_t = alpha x0 + sigma eps
        Assert.True(x0.Times(schedule.SignalScale(300)).Plus(eps.Times(schedule.NoiseScale(300))).allclose(sample, rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void Trailing_spacing_starts_at_the_last_training_step()
    {
        Assert.Equal([999, 899, 799, 699, 599, 499, 399, 299, 199, 99], TimestepSpacing.Trailing(1000, 10));
        Assert.Equal([999, 666, 332], TimestepSpacing.Trailing(1000, 3));
        Assert.Equal([399, 299, 199, 99], TimestepSpacing.TrailingFrom(1000, 10, 0.4));
        Assert.Throws<ArgumentOutOfRangeException>(() => TimestepSpacing.Trailing(1000, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TimestepSpacing.TrailingFrom(1000, 10, 0));
    }
}
