namespace RefineWeb.Engine.Schedulers;

/// <summary>Picks the inference timesteps out of the training ones.</summary>
public static class TimestepSpacing
{
    /// <summary>
    /// "Trailing" spacing (Lin et al. 2024, table 2): starts at the last training step, so sampling begins from pure
    /// noise, and spaces the rest evenly. 1000 train steps, 10 inference steps: 999, 899, ..., 99.
    /// </summary>
    public static int[] Trailing(int trainTimesteps, int inferenceSteps)
    {
        if (inferenceSteps < 1 || inferenceSteps > trainTimesteps)
            throw new ArgumentOutOfRangeException(nameof(inferenceSteps), $"Steps must be between 1 and {trainTimesteps}.");
        double ratio = (double)trainTimesteps / inferenceSteps;
        return Enumerable.Range(0, inferenceSteps)
            .Select(i => (int)Math.Round(trainTimesteps - i * ratio) - 1)
            .ToArray();
    }

    /// <summary>The last <paramref name="strength"/> share of the trailing steps: image-to-image starts part-way down.</summary>
    public static int[] TrailingFrom(int trainTimesteps, int inferenceSteps, double strength)
    {
        if (strength is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(strength), "Strength must be in (0, 1].");
        var all = Trailing(trainTimesteps, inferenceSteps);
        int keep = Math.Max(1, (int)Math.Round(inferenceSteps * strength));
        return all[^keep..];
    }
}
