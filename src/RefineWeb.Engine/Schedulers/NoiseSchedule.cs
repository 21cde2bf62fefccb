using RefineWeb.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Schedulers;

/// <summary>
/// The DDPM forward process: betas, alphas and their cumulative product over <see cref="TrainTimesteps"/> steps,
/// plus what training and every sampler need from it. Pure math: no network inside.
/// Notation: alpha-bar_t = prod_{s&lt;=t} (1 - beta_s); x_t = sqrt(alpha-bar_t) x0 + sqrt(1 - alpha-bar_t) eps.
/// </summary>
public sealed class NoiseSchedule
{
    public int TrainTimesteps { get; }
    public BetaSchedule Kind { get; }
    public PredictionType Prediction { get; }
    public IReadOnlyList<double> Betas { get; }
    public IReadOnlyList<double> Alphas { get; }
    public IReadOnlyList<double> AlphasCumprod { get; }

    public NoiseSchedule(BetaSchedule kind = BetaSchedule.Cosine, int trainTimesteps = 1000,
        PredictionType prediction = PredictionType.VPrediction, double betaStart = 1e-4, double betaEnd = 0.02)
    {
        if (trainTimesteps < 2) throw new ArgumentOutOfRangeException(nameof(trainTimesteps), "Need at least 2 timesteps.");
        TrainTimesteps = trainTimesteps;
        Kind = kind;
        Prediction = prediction;
        var betas = kind switch
        {
            BetaSchedule.Linear => LinearBetas(trainTimesteps, betaStart, betaEnd),
            BetaSchedule.Cosine => CosineBetas(trainTimesteps),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var alphas = betas.Select(b => 1.0 - b).ToArray();
        var cumprod = new double[trainTimesteps];
        double running = 1.0;
        for (int t = 0; t < trainTimesteps; t++) cumprod[t] = running *= alphas[t];
        Betas = betas;
        Alphas = alphas;
        AlphasCumprod = cumprod;
    }

    static double[] LinearBetas(int n, double start, double end) =>
        Enumerable.Range(0, n).Select(i => start + (end - start) * i / (n - 1)).ToArray();

    /// <summary>Improved DDPM eq. 17: alpha-bar(t) = f(t)/f(0), f(t) = cos^2(((t/T + s)/(1 + s)) pi/2), betas clipped at 0.999.</summary>
    static double[] CosineBetas(int n, double s = 0.008)
    {
        static double F(double u, double s) => Math.Pow(Math.Cos((u + s) / (1 + s) * Math.PI / 2), 2);
        return Enumerable.Range(0, n)
            .Select(i => Math.Min(1 - F((i + 1.0) / n, s) / F((double)i / n, s), 0.999))
            .ToArray();
    }

    /// <summary>alpha_t = sqrt(alpha-bar_t), the signal scale; t = -1 means "clean" (alpha = 1).</summary>
    public double SignalScale(int t) => t < 0 ? 1.0 : Math.Sqrt(AlphasCumprod[t]);

    /// <summary>sigma_t = sqrt(1 - alpha-bar_t), the noise scale; t = -1 means "clean" (sigma = 0).</summary>
    public double NoiseScale(int t) => t < 0 ? 0.0 : Math.Sqrt(1 - AlphasCumprod[t]);

    /// <summary>q(x_t | x0): x_t = alpha_t x0 + sigma_t eps, one timestep per batch item.</summary>
    public Tensor AddNoise(Tensor original, Tensor noise, Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var (alpha, sigma) = ScalesFor(timesteps, original);
        return (alpha * original).Plus(sigma * noise).MoveToOuterDisposeScope();
    }

    /// <summary>What the network is trained to output for <see cref="Prediction"/>.</summary>
    public Tensor TrainingTarget(Tensor original, Tensor noise, Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var target = Prediction switch
        {
            PredictionType.Epsilon => noise.alias(),
            PredictionType.Sample => original.alias(),
            _ => VelocityOf(original, noise, timesteps),
        };
        return target.MoveToOuterDisposeScope();
    }

    Tensor VelocityOf(Tensor original, Tensor noise, Tensor timesteps)
    {
        var (alpha, sigma) = ScalesFor(timesteps, original);
        return alpha * noise - sigma * original;
    }

    /// <summary>
    /// The network output that, at timestep t and sample x_t, predicts <paramref name="original"/> as x0 (the inverse
    /// of <see cref="Split"/>): how guidance that moves the x0 estimate hands its result back to a sampler.
    /// </summary>
    public Tensor OutputFor(Tensor original, int t, Tensor sample)
    {
        double alpha = SignalScale(t), sigma = NoiseScale(t);
        using var scope = NewDisposeScope();
        var eps = (sample - original.Times(alpha)).Over(sigma);
        var output = Prediction switch
        {
            PredictionType.Epsilon => eps,
            PredictionType.Sample => original.alias(),
            _ => eps.Times(alpha) - original.Times(sigma),
        };
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Converts a network output at timestep t into (x0, eps) estimates, whatever <see cref="Prediction"/> is.
    /// </summary>
    public (Tensor Original, Tensor Noise) Split(Tensor modelOutput, int t, Tensor sample)
    {
        double alpha = SignalScale(t), sigma = NoiseScale(t);
        using var scope = NewDisposeScope();
        Tensor x0, eps;
        switch (Prediction)
        {
            case PredictionType.Epsilon:
                eps = modelOutput.alias();
                x0 = (sample - modelOutput.Times(sigma)).Over(alpha);
                break;
            case PredictionType.Sample:
                x0 = modelOutput.alias();
                eps = (sample - modelOutput.Times(alpha)).Over(sigma);
                break;
            default:
                // x0 = alpha x_t - sigma v ; eps = sigma x_t + alpha v   (alpha^2 + sigma^2 = 1)
                x0 = sample.Times(alpha) - modelOutput.Times(sigma);
                eps = sample.Times(sigma).Plus(modelOutput.Times(alpha));
                break;
        }
        return (x0.MoveToOuterDisposeScope(), eps.MoveToOuterDisposeScope());
    }

    /// <summary>The x0 estimate of network outputs at one timestep per batch item (training's view of <see cref="Split"/>).</summary>
    public Tensor PredictedOriginal(Tensor modelOutput, Tensor timesteps, Tensor sample)
    {
        using var scope = NewDisposeScope();
        var (alpha, sigma) = ScalesFor(timesteps, sample);
        var x0 = Prediction switch
        {
            PredictionType.Epsilon => (sample - sigma * modelOutput) / alpha,
            PredictionType.Sample => modelOutput.alias(),
            _ => alpha * sample - sigma * modelOutput,
        };
        return x0.MoveToOuterDisposeScope();
    }

    (Tensor Alpha, Tensor Sigma) ScalesFor(Tensor timesteps, Tensor like)
    {
        var cumprod = tensor(AlphasCumprod.ToArray(), dtype: ScalarType.Float64, device: like.device);
        var ab = cumprod.index_select(0, timesteps.to(ScalarType.Int64).to(like.device)).to(like.dtype);
        var shape = new long[like.dim()];
        Array.Fill(shape, 1L);
        shape[0] = -1;
        return (ab.sqrt().reshape(shape), ab.SubtractedFrom(1).sqrt().reshape(shape));
    }
}
