using RefineWeb.Engine.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Training;

/// <summary>
/// A resumable training state: one file, checkpoint.safetensors, overwritten in place (written to a temporary name
/// and renamed, so an interrupted save leaves the previous checkpoint intact). Weights as "model.*", EMA as "ema.*",
/// AdamW moments as "optimizer.*", the step counts in its metadata (with the steps of the weights a run started from).
/// </summary>
public static class TrainingCheckpoint
{
    public const string WeightsFile = "checkpoint.safetensors";

    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, WeightsFile));

    public static void Save(string directory, nn.Module module, ExponentialMovingAverage ema, AdamW optimizer, int step, string stage, long priorSteps = 0)
    {
        Directory.CreateDirectory(directory);
        var entries = new List<(string, string, long[], byte[])>();
        foreach (var (name, value) in module.state_dict()) entries.Add(Entry("model." + name, value));
        foreach (var (name, value) in ema.Shadow) entries.Add(Entry("ema." + name, value));
        foreach (var (name, value) in optimizer.State()) entries.Add(Entry("optimizer." + name, value));
        SafetensorsFile.Write(Path.Combine(directory, WeightsFile), entries, new Dictionary<string, string>
        {
            ["step"] = step.ToString(), ["stage"] = stage, ["optimizer_steps"] = optimizer.Steps.ToString(),
            ["prior_steps"] = priorSteps.ToString(),
        });
    }

    /// <summary>
    /// Restores weights, EMA and optimizer; returns the number of completed steps, the steps of the weights the run
    /// started from, and whether the optimizer state was there (checkpoints written before it was stored resume with
    /// fresh AdamW moments).
    /// </summary>
    public static (int Step, long PriorSteps, bool OptimizerRestored) Load(string directory, nn.Module module, ExponentialMovingAverage ema, AdamW optimizer, string stage)
    {
        var path = Path.Combine(directory, WeightsFile);
        var file = SafetensorsFile.Open(path);
        if (file.Metadata.GetValueOrDefault("stage") != stage)
            throw new InvalidDataException($"{path} is a checkpoint of stage '{file.Metadata.GetValueOrDefault("stage")}', not '{stage}'.");
        if (!int.TryParse(file.Metadata.GetValueOrDefault("step"), out int step))
            throw new InvalidDataException($"{path} does not record its step.");
        long priorSteps = long.TryParse(file.Metadata.GetValueOrDefault("prior_steps"), out long prior) ? prior : 0;

        using (no_grad())
        {
            foreach (var (name, value) in module.state_dict())
            {
                using var saved = ReadEntry(file, "model." + name);
                value.copy_(saved);
            }
        }
        var shadow = ema.Shadow.Keys.ToDictionary(k => k, k => ReadEntry(file, "ema." + k));
        try
        {
            ema.Restore(shadow);
        }
        finally
        {
            foreach (var t in shadow.Values) t.Dispose();
        }
        if (!long.TryParse(file.Metadata.GetValueOrDefault("optimizer_steps"), out long optimizerSteps)) return (step, priorSteps, false);
        optimizer.Restore(name => ReadEntry(file, "optimizer." + name), optimizerSteps);
        return (step, priorSteps, true);
    }

    static Tensor ReadEntry(SafetensorsFile file, string name) =>
        file.Entries.ContainsKey(name) ? TensorWeights.Read(file, name)
            : throw new InvalidDataException($"{file.Path} has no '{name}': it was written for a different model shape.");

    static (string, string, long[], byte[]) Entry(string name, Tensor value)
    {
        using var cpu = value.detach().cpu().contiguous();
        return (name, SafetensorsDType.FromScalarType(cpu.dtype), cpu.shape, cpu.bytes.ToArray());
    }
}
