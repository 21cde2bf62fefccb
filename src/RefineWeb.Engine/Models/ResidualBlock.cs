using RefineWeb.Engine.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Models;

/// <summary>
/// GroupNorm-SiLU-Conv twice with the conditioning embedding applied as a per-channel scale and shift between
/// (FiLM, as in improved DDPM), plus a 1x1 skip when the channel count changes.
/// </summary>
public sealed class ResidualBlock : nn.Module<Tensor, Tensor, Tensor>
{
    readonly GroupNorm norm1, norm2;
    readonly Conv2d conv1, conv2;
    readonly Linear embedding_projection;
    readonly Dropout dropout;
    readonly nn.Module<Tensor, Tensor> skip;

    public ResidualBlock(string name, int inChannels, int outChannels, int embeddingWidth, int groups, double dropoutRate) : base(name)
    {
        norm1 = Normalization.Group(groups, inChannels);
        conv1 = nn.Conv2d(inChannels, outChannels, 3, padding: 1);
        embedding_projection = nn.Linear(embeddingWidth, outChannels * 2);
        norm2 = Normalization.Group(groups, outChannels);
        dropout = nn.Dropout(dropoutRate);
        conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1);
        skip = inChannels == outChannels ? nn.Identity() : nn.Conv2d(inChannels, outChannels, 1);
        RegisterComponents();
        // Start as the identity: the residual branch's last conv outputs zeros until trained.
        using (no_grad())
        {
            conv2.weight!.zero_();
            conv2.bias!.zero_();
        }
    }

    public override Tensor forward(Tensor x, Tensor embedding)
    {
        var h = conv1.call(nn.functional.silu(norm1.call(x)));
        var scaleShift = embedding_projection.call(nn.functional.silu(embedding)).unsqueeze(-1).unsqueeze(-1).chunk(2, 1);
        h = (norm2.call(h) * scaleShift[0].Plus(1)).Plus(scaleShift[1]);
        h = conv2.call(dropout.call(nn.functional.silu(h)));
        return skip.call(x).Plus(h);
    }
}
