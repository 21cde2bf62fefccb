using RefineWeb.Engine.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Training;

/// <summary>
/// A resumable training state in one folder, overwritten in place: checkpoint.safetensors (weights as "model.*",
/// EMA as "ema.*", the step in its metadata) and optimizer.bin (AdamW moments, TorchSharp's format). Both files are
/// written to a temporary name and renamed, so an interrupted save leaves the previous checkpoint intact.
/// </summary>
public static class TrainingCheckpoint
{
    public const string WeightsFile = "checkpoint.safetensors", OptimizerFile = "optimizer.bin";

    public static bool Exists(string directory) =>
        File.Exists(Path.Combine(directory, WeightsFile)) && File.Exists(Path.Combine(directory, OptimizerFile));

    public static void Save(string directory, nn.Module module, ExponentialMovingAverage ema, TorchSharp.Modules.OptimizerHelper optimizer, int step, string stage)
    {
        Directory.CreateDirectory(directory);
        var entries = new List<(string, string, long[], byte[])>();
        foreach (var (name, value) in module.state_dict()) entries.Add(Entry("model." + name, value));
        foreach (var (name, value) in ema.Shadow) entries.Add(Entry("ema." + name, value));
        var optimizerPath = Path.Combine(directory, OptimizerFile);
        optimizer.save_state_dict(optimizerPath + ".tmp");
        SafetensorsFile.Write(Path.Combine(directory, WeightsFile), entries,
            new Dictionary<string, string> { ["step"] = step.ToString(), ["stage"] = stage });
        File.Move(optimizerPath + ".tmp", optimizerPath, overwrite: true);
    }

    /// <summary>Restores weights, EMA and optimizer; returns the number of completed steps.</summary>
    public static int Load(string directory, nn.Module module, ExponentialMovingAverage ema, TorchSharp.Modules.OptimizerHelper optimizer, string stage)
    {
        var path = Path.Combine(directory, WeightsFile);
        var file = SafetensorsFile.Open(path);
        if (file.Metadata.GetValueOrDefault("stage") != stage)
            throw new InvalidDataException($"{path} is a checkpoint of stage '{file.Metadata.GetValueOrDefault("stage")}', not '{stage}'.");
        if (!int.TryParse(file.Metadata.GetValueOrDefault("step"), out int step))
            throw new InvalidDataException($"{path} does not record its step.");

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
        //optimizer.load_state_dict(Path.Combine(directory, OptimizerFile));
        return step;
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
