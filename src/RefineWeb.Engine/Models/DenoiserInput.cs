using static TorchSharp.torch;

namespace RefineWeb.Engine.Models;

/// <summary>
/// One U-Net call: the noisy image [B, C, H, W], its timesteps [B], the encoded prompt, and for refiners the
/// upsampled lower-resolution image [B, C, H, W] with the noise level [B] it was augmented with; a probe that hears
/// the cross-attention (<see cref="AttentionProbe"/>), when someone asks where the words land; a DeepCache that keeps or
/// reuses the deep features (<see cref="DeepFeatureCache"/>); for a network with a layout channel, where each row's
/// prompt goes [B, 1, H, W] (null: everywhere).
/// </summary>
public sealed record DenoiserInput(
    Tensor Sample,
    Tensor Timesteps,
    TextEncoding Text,
    Tensor? LowResolution = null,
    Tensor? LowResolutionNoiseLevel = null,
    Tensor? TokenWeights = null,
    AttentionProbe? Probe = null,
    DeepFeatureCache? DeepCache = null,
    Tensor? Layout = null)
{
    public long Rows => Sample.shape[0];

    /// <summary>Rows [start, start + count) of every part: one slice of the batch, views, no copies.</summary>
    public DenoiserInput Slice(long start, long count) => new(
        Sample.narrow(0, start, count), Timesteps.narrow(0, start, count),
        new TextEncoding(Text.Tokens.narrow(0, start, count), Text.Mask.narrow(0, start, count), Text.Pooled.narrow(0, start, count)),
        LowResolution?.narrow(0, start, count), LowResolutionNoiseLevel?.narrow(0, start, count), TokenWeights?.narrow(0, start, count), Probe, DeepCache,
        Layout?.narrow(0, start, count));
}
