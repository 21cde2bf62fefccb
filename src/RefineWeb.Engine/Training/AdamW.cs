using RefineWeb.Engine.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Training;

/// <summary>
/// AdamW (Loshchilov and Hutter) whose whole state (moments and step count) is plain named tensors, so a checkpoint
/// stores it in the same safetensors file as the weights. Written here because TorchSharp 0.107's optimizer
/// save_state_dict / load_state_dict round trip does not restore AdamW exactly (a resumed run diverged from an
/// uninterrupted one; measured in TrainerTests).
/// </summary>
public sealed class AdamW : IDisposable
{
    readonly IReadOnlyList<(string Name, Parameter Parameter)> parameters;
    readonly Dictionary<string, (Tensor First, Tensor Second)> moments;
    readonly double beta1, beta2, weightDecay;
    // Every number handed to libtorch is a Scalar we own and dispose: an implicitly converted one is left to the
    // finalizer, which may free it while the native call still reads it (a base run died once after 4 900 steps in
    // this loop with a garbage scalar; TorchSharp PR 1434 disposes such temporaries for the same reason).
    readonly Scalar beta1Scalar, oneMinusBeta1, beta2Scalar, oneMinusBeta2, epsilonScalar;

    public long Steps { get; private set; }
    public double LearningRate { get; set; }

    public AdamW(IEnumerable<(string Name, Parameter Parameter)> namedParameters, double learningRate,
        double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0.0)
    {
        parameters = namedParameters.ToList();
        LearningRate = learningRate;
        (this.beta1, this.beta2, this.weightDecay) = (beta1, beta2, weightDecay);
        (beta1Scalar, oneMinusBeta1) = (beta1.ToScalar(), (1 - beta1).ToScalar());
        (beta2Scalar, oneMinusBeta2) = (beta2.ToScalar(), (1 - beta2).ToScalar());
        epsilonScalar = epsilon.ToScalar();
        moments = parameters.ToDictionary(p => p.Name, p => (zeros_like(p.Parameter).detach(), zeros_like(p.Parameter).detach()));
    }

    public IEnumerable<Parameter> Parameters => parameters.Select(p => p.Parameter);

    public void ZeroGrad()
    {
        foreach (var (_, p) in parameters) p.grad?.zero_();
    }

    /// <summary>One update from the current gradients (parameters without a gradient are left alone).</summary>
    public void Step()
    {
        Steps++;
        double correction1 = 1 - Math.Pow(beta1, Steps), correction2 = 1 - Math.Pow(beta2, Steps);
        using Scalar secondCorrection = correction2.ToScalar(), stepSize = (-LearningRate / correction1).ToScalar();
        using Scalar decay = (1 - LearningRate * weightDecay).ToScalar();
        using var noGrad = no_grad();
        foreach (var (name, p) in parameters)
        {
            if (p.grad is not { } grad) continue;
            using var scope = NewDisposeScope();
            var (first, second) = moments[name];
            first.mul_(beta1Scalar).add_(grad, alpha: oneMinusBeta1);
            second.mul_(beta2Scalar).addcmul_(grad, grad, value: oneMinusBeta2);
            if (weightDecay > 0) p.mul_(decay);
            var denominator = second.div(secondCorrection).sqrt_().PlusInPlace(epsilonScalar);
            p.addcdiv_(first, denominator, value: stepSize);
        }
    }

    /// <summary>The state as named tensors ("{name}.exp_avg", "{name}.exp_avg_sq"); the step count goes in metadata.</summary>
    public IEnumerable<(string Name, Tensor Value)> State() =>
        moments.SelectMany(kv => new[] { (kv.Key + ".exp_avg", kv.Value.First), (kv.Key + ".exp_avg_sq", kv.Value.Second) });

    public void Restore(Func<string, Tensor> read, long steps)
    {
        using var noGrad = no_grad();
        foreach (var (name, (first, second)) in moments)
        {
            using (var saved = read(name + ".exp_avg")) first.copy_(saved);
            using (var saved = read(name + ".exp_avg_sq")) second.copy_(saved);
        }
        Steps = steps;
    }

    public void Dispose()
    {
        foreach (var scalar in new[] { beta1Scalar, oneMinusBeta1, beta2Scalar, oneMinusBeta2, epsilonScalar }) scalar.Dispose();
        foreach (var (first, second) in moments.Values)
        {
            first.Dispose();
            second.Dispose();
        }
    }
}
