using System.Diagnostics;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Profiling;

/// <summary>
/// Where a forward pass spends its time, by layer kind: wall time between each convolution's, linear layer's and
/// GroupNorm's pre- and post-forward hooks (CPU ops run synchronously, so that is their time). What the hooks do not
/// cover (attention's matmuls and softmax, activations, additions, reshapes) is the rest of the pass.
/// </summary>
public static class LayerTimer
{
    public sealed record Breakdown(double Convolution, double Linear, double GroupNorm, double Total)
    {
        public double Rest => Math.Max(0, Total - Convolution - Linear - GroupNorm);
    }

    /// <summary>Milliseconds per kind, summed over <paramref name="runs"/> passes of <paramref name="forward"/> and divided by them.</summary>
    public static Breakdown Measure(nn.Module network, Action forward, int runs)
    {
        var spent = new Dictionary<string, double> { ["conv"] = 0, ["linear"] = 0, ["norm"] = 0 };
        var removers = new List<Action>();
        var clock = Stopwatch.StartNew();
        double started = 0;
        void Time<TModule>(TModule module, string kind) where TModule : nn.Module<Tensor, Tensor>
        {
            removers.Add(module.register_forward_pre_hook((_, input) => { started = clock.Elapsed.TotalMilliseconds; return input; }).remove);
            removers.Add(module.register_forward_hook((_, _, output) => { spent[kind] += clock.Elapsed.TotalMilliseconds - started; return output; }).remove);
        }
        foreach (var module in network.named_modules().Select(m => m.module).Prepend(network)) // named_modules() leaves the root out
        {
            if (module is Conv2d conv) Time(conv, "conv");
            else if (module is Linear linear) Time(linear, "linear");
            else if (module is GroupNorm norm) Time(norm, "norm");
        }
        double total;
        try
        {
            using var noGrad = no_grad();
            var whole = Stopwatch.StartNew();
            for (int i = 0; i < runs; i++) forward();
            total = whole.Elapsed.TotalMilliseconds;
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
        return new Breakdown(spent["conv"] / runs, spent["linear"] / runs, spent["norm"] / runs, total / runs);
    }
}
