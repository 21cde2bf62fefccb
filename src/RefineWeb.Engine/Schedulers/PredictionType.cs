namespace RefineWeb.Engine.Schedulers;

/// <summary>What the network predicts from a noisy sample.</summary>
public enum PredictionType
{
    /// <summary>The added noise, epsilon.</summary>
    Epsilon,
    /// <summary>v = alpha_t * eps - sigma_t * x0 (Salimans and Ho 2022): well-behaved at both ends of the schedule.</summary>
    VPrediction,
    /// <summary>The clean sample x0 directly.</summary>
    Sample,
}
