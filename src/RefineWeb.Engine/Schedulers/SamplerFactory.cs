namespace RefineWeb.Engine.Schedulers;

public static class SamplerFactory
{
    /// <param name="clipSample">Clamp every x0 estimate to the image range [-1, 1] (off for stages that denoise something else, such as residuals).</param>
    public static IDiffusionSampler Create(SamplerKind kind, NoiseSchedule schedule, double eta = 0.0, bool clipSample = true) => kind switch
    {
        SamplerKind.Ddim => new DdimSampler(schedule, eta, clipSample),
        SamplerKind.DpmSolverPlusPlus2M => new DpmSolverPlusPlusSampler(schedule, clipSample),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown sampler."),
    };
}
