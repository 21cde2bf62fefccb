using System.Globalization;

namespace RefineWeb.Engine.Training;

/// <summary>
/// Appends progress rows to a CSV file (header once), flushed per row so a crash loses nothing logged. Opened for a
/// resumed run, it first drops the rows after the checkpoint's step (they are about to be trained again).
/// </summary>
public sealed class TrainingLog : IDisposable
{
    readonly StreamWriter writer;

    public TrainingLog(string path, int resumedAtStep = 0)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (File.Exists(path))
        {
            var kept = File.ReadLines(path).Where((line, i) => i == 0 || (int.TryParse(line.Split(',')[0], out int step) && step <= resumedAtStep)).ToList();
            File.WriteAllLines(path, kept);
        }
        bool fresh = !File.Exists(path) || new FileInfo(path).Length == 0;
        writer = new StreamWriter(path, append: true) { AutoFlush = true };
        if (fresh) writer.WriteLine("step,loss,learning_rate,images_per_second,elapsed_seconds,skipped_steps");
    }

    public void Write(TrainingProgress progress) => writer.WriteLine(string.Join(',',
        progress.Step.ToString(CultureInfo.InvariantCulture),
        progress.Loss.ToString("G6", CultureInfo.InvariantCulture),
        progress.LearningRate.ToString("G4", CultureInfo.InvariantCulture),
        progress.ImagesPerSecond.ToString("F1", CultureInfo.InvariantCulture),
        progress.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture),
        progress.SkippedSteps.ToString(CultureInfo.InvariantCulture)));

    public void Dispose() => writer.Dispose();
}
