using static TorchSharp.torch;

namespace RefineWeb.Engine.Schedulers;

/// <summary>One sampler step's result: the less noisy sample and the current estimate of the clean image.</summary>
public readonly record struct SamplerStep(Tensor PreviousSample, Tensor PredictedOriginal);
