using RefineWeb.Engine.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Models;

/// <summary>One pre-norm Transformer layer: x + SelfAttention(LN(x)), then x + MLP(LN(x)).</summary>
public sealed class TransformerLayer : nn.Module<Tensor, Tensor, Tensor>
{
    readonly LayerNorm norm1, norm2;
    readonly Attention attention;
    readonly Sequential mlp;

    public TransformerLayer(string name, int width, int heads) : base(name)
    {
        norm1 = nn.LayerNorm(width);
        attention = new Attention("attention", width, width, heads);
        norm2 = nn.LayerNorm(width);
        mlp = nn.Sequential(("fc1", nn.Linear(width, width * 4)), ("act", nn.GELU()), ("fc2", nn.Linear(width * 4, width)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor mask)
    {
        var normed = norm1.call(x);
        x = x.Plus(attention.call(normed, normed, mask));
        return x.Plus(mlp.call(norm2.call(x)));
    }
}

/// <summary>
/// Token ids [B, L] to token features [B, L, W] (for cross-attention) and a pooled caption vector [B, W]
/// (mean over real tokens), with learned positions. Padding (id 0) is masked out of attention and pooling.
/// </summary>
public sealed class TextEncoder : nn.Module<Tensor, TextEncoding>
{
    readonly Embedding token_embedding;
    readonly Parameter position_embedding;
    readonly ModuleList<TransformerLayer> layers;
    readonly LayerNorm final_norm;

    public TextEncoderConfig Config { get; }

    public TextEncoder(TextEncoderConfig config) : base(nameof(TextEncoder))
    {
        config.Validate();
        Config = config;
        token_embedding = nn.Embedding(config.VocabularySize, config.Width);
        position_embedding = nn.Parameter(randn(config.MaxLength, config.Width).Times(0.02));
        layers = nn.ModuleList(Enumerable.Range(0, config.Layers)
            .Select(i => new TransformerLayer($"layer{i}", config.Width, config.Heads)).ToArray());
        final_norm = nn.LayerNorm(config.Width);
        RegisterComponents();
    }

    public override TextEncoding forward(Tensor tokenIds)
    {
        long length = tokenIds.shape[1];
        if (length > Config.MaxLength)
            throw new ArgumentException($"{length} tokens exceed the text encoder's maximum of {Config.MaxLength}.");
        var mask = tokenIds.NotEqualTo(0);
        var x = token_embedding.call(tokenIds).Plus(position_embedding.narrow(0, 0, length).unsqueeze(0));
        foreach (var layer in layers) x = layer.call(x, mask);
        x = final_norm.call(x);
        var weights = mask.unsqueeze(-1).to(x.dtype);
        var pooled = (x * weights).sum(1) / weights.sum(1).AtLeast(1);
        return new TextEncoding(x, mask, pooled);
    }
}
