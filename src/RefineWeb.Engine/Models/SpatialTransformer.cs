using RefineWeb.Engine.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Models;

/// <summary>
/// Self-attention over the feature map's pixels, then cross-attention from pixels to the text tokens, then an MLP,
/// each pre-normed and residual. Cross-attention is where the prompt's words steer where things go.
/// </summary>
public sealed class SpatialTransformer : nn.Module<Tensor, Conditioning, Tensor>
{
    readonly GroupNorm norm_in;
    readonly Linear proj_in, proj_out;
    readonly LayerNorm norm_self, norm_cross, norm_mlp;
    readonly Attention self_attention, cross_attention;
    readonly Sequential mlp;

    public SpatialTransformer(string name, int channels, int textWidth, int heads, int groups) : base(name)
    {
        norm_in = Normalization.Group(groups, channels);
        proj_in = nn.Linear(channels, channels);
        norm_self = nn.LayerNorm(channels);
        self_attention = new Attention("self_attention", channels, channels, heads);
        norm_cross = nn.LayerNorm(channels);
        cross_attention = new Attention("cross_attention", channels, textWidth, heads);
        norm_mlp = nn.LayerNorm(channels);
        mlp = nn.Sequential(("fc1", nn.Linear(channels, channels * 4)), ("act", nn.GELU()), ("fc2", nn.Linear(channels * 4, channels)));
        proj_out = nn.Linear(channels, channels);
        RegisterComponents();
        // Start as the identity so an untrained block does not disturb the convolutions around it.
        using (no_grad())
        {
            proj_out.weight.zero_();
            proj_out.bias!.zero_();
        }
    }

    public override Tensor forward(Tensor x, Conditioning conditioning)
    {
        long batch = x.shape[0], channels = x.shape[1], height = x.shape[2], width = x.shape[3];
        var tokens = proj_in.call(norm_in.call(x).flatten(2).transpose(1, 2)); // [B, HW, C]
        var normed = norm_self.call(tokens);
        tokens = tokens.Plus(self_attention.call(normed, normed, null));
        tokens = tokens.Plus(cross_attention.Forward(norm_cross.call(tokens), conditioning.TextTokens, conditioning.TextMask, conditioning.TokenWeights,
            conditioning.Probe is { } probe ? probabilities => probe.Record(probabilities, height, width) : null));
        tokens = tokens.Plus(mlp.call(norm_mlp.call(tokens)));
        return x.Plus(proj_out.call(tokens).transpose(1, 2).reshape(batch, channels, height, width));
    }
}
