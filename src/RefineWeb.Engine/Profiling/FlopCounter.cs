using RefineWeb.Engine.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Profiling;

/// <summary>Floating-point operations of one forward pass, by kind (a multiply-add counts as 2).</summary>
public sealed record FlopCount(double Convolution, double Linear, double Attention)
{
    public double Total => Convolution + Linear + Attention;
}

/// <summary>
/// Counts a network's FLOPs from the shapes its layers see in one real forward pass (forward hooks on every
/// convolution and linear layer): a convolution 2 x weights x output pixels, a linear layer 2 x weights x rows,
/// attention's two batched matmuls (scores and weighted values) 4 x queries x keys x width. Biases, normalization,
/// activations and other elementwise work are left out, as roofline counts usually do; their time shows up in the
/// profile instead. Written here: libtorch's own FLOP counter is not reachable from TorchSharp.
/// </summary>
public static class FlopCounter
{
    public static FlopCount Count(nn.Module network, Action forward)
    {
        double convolution = 0, linear = 0, attention = 0;
        var pendingQueries = new Dictionary<Attention, (long Rows, long Width)>();
        var removers = new List<Action>();
        try
        {
            foreach (var module in network.named_modules().Select(m => m.module).Prepend(network)) // named_modules() leaves the root out
            {
                switch (module)
                {
                    case Conv2d conv:
                        removers.Add(conv.register_forward_hook((_, _, output) =>
                        {
                            convolution += 2.0 * conv.weight!.numel() * output.shape[0] * output.shape[2] * output.shape[3];
                            return output;
                        }).remove);
                        break;
                    case Linear layer:
                        removers.Add(layer.register_forward_hook((_, input, output) =>
                        {
                            linear += 2.0 * layer.weight!.numel() * (input.numel() / input.shape[^1]);
                            return output;
                        }).remove);
                        break;
                    case Attention block:
                        // Queries come through to_q ([B, N, C] in), keys through to_k ([B, M, Cc] in), in that order.
                        var children = block.named_children().ToDictionary(c => c.name, c => c.module);
                        var toQuery = (Linear)children["to_q"];
                        var toKey = (Linear)children["to_k"];
                        removers.Add(toQuery.register_forward_hook((_, input, output) =>
                        {
                            pendingQueries[block] = (input.numel() / input.shape[^1], output.shape[^1]);
                            return output;
                        }).remove);
                        removers.Add(toKey.register_forward_hook((_, input, output) =>
                        {
                            var (queryRows, width) = pendingQueries[block];
                            long keys = input.shape[1];
                            attention += 4.0 * queryRows * keys * width; // queryRows = B x N: scores B x N x M x C, values the same
                            return output;
                        }).remove);
                        break;
                }
            }
            using (no_grad()) forward();
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
        return new FlopCount(convolution, linear, attention);
    }
}
