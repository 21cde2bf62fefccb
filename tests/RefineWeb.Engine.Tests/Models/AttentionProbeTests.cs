using RefineWeb.Engine.Models;
using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Models;

public class AttentionProbeTests
{
    [Fact]
    public void A_probe_hears_each_positions_attention_over_the_tokens_averaged_over_heads_and_layers()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        using var attention = new Attention("cross", queryWidth: 8, contextWidth: 6, heads: 2);
        var pixels = randn(1, 4, 8); // a 2 x 2 map
        var tokens = randn(1, 3, 6);
        var mask = tensor(new[] { true, true, false }).view(1, 3); // the third token is padding
        using var probe = new AttentionProbe(resolution: 2);
        Tensor? heard = null;
        var output = attention.Forward(pixels, tokens, mask, null, p => { heard = p.clone(); probe.Record(p, 2, 2); });
        using var plain = attention.Forward(pixels, tokens, mask, null);
        Assert.Equal(Flat(plain), Flat(output)); // listening changes nothing

        var maps = probe.Maps()!;
        Assert.Equal([1L, 3, 2, 2], maps.shape); // [B, tokens, r, r]
        // Probabilities: at every position the tokens share 1, padding gets none.
        Assert.All(Flat(maps.sum(dim: 1)), v => Assert.Equal(1f, v, 5));
        Assert.All(Flat(maps[0, 2]), v => Assert.Equal(0f, v));
        // Token 0's map at position (row 1, column 0) is the heads' mean probability of query 2 on key 0.
        Assert.Equal(heard![0, .., 2, 0].mean().item<float>(), maps[0, 0, 1, 0].item<float>(), 5);

        // A second layer at a coarser size is brought to the probe's size and averaged in.
        probe.Record(ScalarArguments.Full([1, 2, 1, 3], 0.5).index_put_(tensor(0f), TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Single(2)), 1, 1);
        var averaged = probe.Maps()!;
        Assert.Equal((maps[0, 0, 1, 0].item<float>() + 0.5f) / 2, averaged[0, 0, 1, 0].item<float>(), 5);
    }

    static float[] Flat(Tensor t) => t.detach().flatten().data<float>().ToArray();
}
