namespace RefineWeb.Engine.Schedulers;

/// <summary>How the forward process adds noise over the training timesteps.</summary>
public enum BetaSchedule
{
    /// <summary>Betas linear in t (Ho et al. 2020).</summary>
    Linear,
    /// <summary>alpha-bar follows a squared cosine (Nichol and Dhariwal 2021): gentler at low resolution.</summary>
    Cosine,
}
