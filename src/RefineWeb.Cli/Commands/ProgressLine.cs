using RefineWeb.Engine.Training;

namespace RefineWeb.Cli.Commands;

/// <summary>
/// A one-line progress bar (bar, step, loss, pace, ETA). On a terminal it redraws in place; into a file or pipe it
/// writes one line per report, so a background run's log reads well with tail -f.
/// </summary>
sealed class ProgressLine(TextWriter output, string label)
{
    readonly bool inPlace = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
    bool drawn;

    public void Report(TrainingProgress p)
    {
        const int width = 24;
        int filled = (int)Math.Round(width * (double)p.Step / p.TotalSteps);
        var line = $"{label} [{new string('#', filled)}{new string('-', width - filled)}] {100.0 * p.Step / p.TotalSteps,5:F1}% {p.Step}/{p.TotalSteps} " +
                   $"loss {p.Loss:F4} lr {p.LearningRate:0.0e+00} {p.ImagesPerSecond:F0} img/s elapsed {Format(p.Elapsed)} ETA {Format(p.Remaining)}" +
                   (p.SkippedSteps > 0 ? $" skipped {p.SkippedSteps}" : "");
        if (inPlace)
        {
            output.Write("\r" + line.PadRight(Console.WindowWidth > 0 ? Math.Min(Console.WindowWidth - 1, 160) : 0));
            drawn = true;
        }
        else
        {
            output.WriteLine(line);
        }
    }

    public void Note(string message)
    {
        Finish();
        output.WriteLine(message);
    }

    public void Finish()
    {
        if (!drawn) return;
        output.WriteLine();
        drawn = false;
    }

    static string Format(TimeSpan span) => span.TotalHours >= 1 ? span.ToString(@"h\:mm\:ss") : span.ToString(@"mm\:ss");
}
