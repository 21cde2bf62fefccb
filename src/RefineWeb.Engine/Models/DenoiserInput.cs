using static TorchSharp.torch;

namespace RefineWeb.Engine.Models;

/// <summary>
/// One U-Net call: the noisy image [B, C, H, W], its timesteps [B], the encoded prompt, and for refiners the
/// upsampled lower-resolution image [B, C, H, W] with the noise level [B] it was augmented with.
/// </summary>
public sealed record DenoiserInput(
    Tensor Sample,
    Tensor Timesteps,
    TextEncoding Text,
    Tensor? LowResolution = null,
    Tensor? LowResolutionNoiseLevel = null,
    Tensor? TokenWeights = null);
