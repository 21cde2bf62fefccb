using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Models;

/// <summary>The residual blocks of one U-Net level, each followed by a spatial transformer where the level attends.</summary>
public sealed class UNetLevel : nn.Module<Tensor, Conditioning, Tensor>
{
    readonly ModuleList<ResidualBlock> resnets;
    readonly ModuleList<SpatialTransformer> attentions;

    public UNetLevel(string name, int inChannels, int outChannels, int blocks, bool attend, UNetConfig config) : base(name)
    {
        resnets = nn.ModuleList(Enumerable.Range(0, blocks)
            .Select(i => new ResidualBlock($"resnet{i}", i == 0 ? inChannels : outChannels, outChannels,
                config.TimeEmbeddingWidth, config.GroupNormGroups, config.Dropout)).ToArray());
        attentions = nn.ModuleList(attend
            ? Enumerable.Range(0, blocks).Select(i => new SpatialTransformer($"attention{i}", outChannels, config.TextWidth, config.AttentionHeads, config.GroupNormGroups)).ToArray()
            : []);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Conditioning conditioning)
    {
        for (int i = 0; i < resnets.Count; i++)
        {
            x = resnets[i].call(x, conditioning.Embedding);
            if (attentions.Count > 0) x = attentions[i].call(x, conditioning);
        }
        return x;
    }
}
