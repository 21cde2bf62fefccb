namespace RefineWeb.Engine.Schedulers;

/// <summary>The samplers the engine offers.</summary>
public enum SamplerKind
{
    /// <summary>DDIM (Song et al. 2021); eta = 0 is deterministic, eta = 1 is DDPM-like.</summary>
    Ddim,
    /// <summary>DPM-Solver++ (2M), multistep second order in data prediction (Lu et al. 2022).</summary>
    DpmSolverPlusPlus2M,
}
