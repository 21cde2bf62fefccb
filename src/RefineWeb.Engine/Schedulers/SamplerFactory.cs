namespace RefineWeb.Engine.Schedulers;

public static class SamplerFactory
{
    public static IDiffusionSampler Create(SamplerKind kind, NoiseSchedule schedule, double eta = 0.0) => kind switch
    {
        SamplerKind.Ddim => new DdimSampler(schedule, eta),
        SamplerKind.DpmSolverPlusPlus2M => new DpmSolverPlusPlusSampler(schedule),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown sampler."),
    };
}
