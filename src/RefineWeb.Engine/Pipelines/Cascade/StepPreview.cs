using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Cascade;

/// <summary>
/// Handed to the per-step callback after every denoising step (diffusers' callback_on_step_end): where the run is,
/// and the current estimate of the clean images [B, 3, H, W] in [-1, 1]. The tensor lives only during the callback:
/// copy or encode it there, never keep it. A run made of several cascades (a re-alignment's candidates) numbers them
/// with <see cref="Pass"/> (0-based) of <see cref="Passes"/>.
/// </summary>
public sealed record StepPreview(int StageIndex, int StageCount, string StageName, int Resolution, int Step, int TotalSteps, Tensor PredictedImages)
{
    public int Pass { get; init; }
    public int Passes { get; init; } = 1;
}
