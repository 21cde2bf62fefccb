using RefineWeb.Engine.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Models;

/// <summary>
/// Multi-head attention of queries x [B, N, C] over a context [B, M, Cc] (the same tensor for self-attention).
/// A key mask [B, M] (true = attend) hides padding; optional per-key weights [B, M] rescale the attention each key
/// receives and renormalize, which is how emphasized words get a larger share of cross-attention.
/// </summary>
public sealed class Attention : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    readonly Linear to_q, to_k, to_v, to_out;
    readonly int heads;

    public Attention(string name, int queryWidth, int contextWidth, int heads) : base(name)
    {
        this.heads = heads;
        to_q = nn.Linear(queryWidth, queryWidth, hasBias: false);
        to_k = nn.Linear(contextWidth, queryWidth, hasBias: false);
        to_v = nn.Linear(contextWidth, queryWidth, hasBias: false);
        to_out = nn.Linear(queryWidth, queryWidth);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor context, Tensor? keyMask) => Forward(x, context, keyMask, null);

    /// <param name="probe">Hears the attention probabilities of this call (cross-attention maps); null: nobody listens.</param>
    public Tensor Forward(Tensor x, Tensor context, Tensor? keyMask, Tensor? keyWeights, Action<Tensor>? probe = null)
    {
        long batch = x.shape[0], queries = x.shape[1], keys = context.shape[1], width = x.shape[2];
        long headWidth = width / heads;
        var q = to_q.call(x).view(batch, queries, heads, headWidth).transpose(1, 2);
        var k = to_k.call(context).view(batch, keys, heads, headWidth).transpose(1, 2);
        var v = to_v.call(context).view(batch, keys, heads, headWidth).transpose(1, 2);

        var scores = q.matmul(k.transpose(-2, -1)).Times(1.0 / Math.Sqrt(headWidth));
        if (keyMask is not null)
            scores = scores.MaskedFill(keyMask.logical_not().view(batch, 1, 1, keys), double.NegativeInfinity);
        var probabilities = scores.softmax(-1);
        if (keyWeights is not null)
        {
            probabilities = probabilities * keyWeights.view(batch, 1, 1, keys);
            probabilities = probabilities / probabilities.sum(-1, keepdim: true).AtLeast(1e-9);
        }
        probe?.Invoke(probabilities);
        var attended = probabilities.matmul(v).transpose(1, 2).reshape(batch, queries, width);
        return to_out.call(attended);
    }
}
