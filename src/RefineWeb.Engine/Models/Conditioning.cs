using static TorchSharp.torch;

namespace RefineWeb.Engine.Models;

/// <summary>
/// What every block of the U-Net is conditioned on: the summed timestep / noise-level / pooled-text embedding,
/// and the text tokens for cross-attention with their padding mask (true = a real token).
/// <see cref="TokenWeights"/> (optional, [B, L]) scales each token's share of cross-attention (emphasis);
/// <see cref="Probe"/> (optional) hears every cross-attention map.
/// </summary>
public sealed record Conditioning(Tensor Embedding, Tensor TextTokens, Tensor TextMask, Tensor? TokenWeights = null, AttentionProbe? Probe = null);

/// <summary>The text encoder's output: per-token features, their mask, and one pooled vector per caption.</summary>
public sealed record TextEncoding(Tensor Tokens, Tensor Mask, Tensor Pooled);
