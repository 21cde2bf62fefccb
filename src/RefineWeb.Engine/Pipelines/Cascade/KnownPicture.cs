using RefineWeb.Engine.Pipelines.Hooks;
using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Cascade;

/// <summary>
/// A picture to re-refine in part, on the model's device: [1, 3, H, W] and its mask [1, 1, H, W] (1 = re-refine).
/// At a coarser stage the picture is area-averaged and the mask max-pooled, so that a pixel the user painted is free
/// at every scale.
/// </summary>
sealed class KnownPicture(Tensor parent, Tensor mask, double strength, int timesPerStep, int resampledStages, double? refinerStrength)
{
    public static KnownPicture Of(RepaintRegion region, Device device) => new(region.Parent.to(device).unsqueeze(0),
        region.Mask.to(device).GreaterThan(0).to(ScalarType.Float32).unsqueeze(0).unsqueeze(0), region.Strength, region.TimesPerStep, region.ResampledStages, region.RefinerStrength);

    /// <summary>The RePaint hook of stage <paramref name="stageIndex"/> (0 = base), working at <paramref name="resolution"/> px.</summary>
    public KnownRegionHook AtResolution(int stageIndex, int resolution)
    {
        bool full = resolution == parent.shape[^1];
        return new KnownRegionHook(full ? parent : nn.functional.adaptive_avg_pool2d(parent, [resolution, resolution]),
            (full ? mask : nn.functional.adaptive_max_pool2d(mask, [resolution, resolution])).SubtractedFrom(1), stageIndex > 0 ? refinerStrength ?? strength : strength,
            stageIndex < resampledStages ? timesPerStep : 1);
    }
}
