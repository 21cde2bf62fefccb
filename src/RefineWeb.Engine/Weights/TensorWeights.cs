using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Weights;

/// <summary>Saves and loads a module's parameters and buffers as safetensors, keyed by their state-dict names.</summary>
public static class TensorWeights
{
    /// <summary>Writes every entry of the module's state dict (moved to the CPU, little-endian).</summary>
    public static void Save(nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = module.state_dict().Select(kv =>
        {
            using var cpu = kv.Value.detach().cpu().contiguous();
            return (kv.Key, SafetensorsDType.FromScalarType(cpu.dtype), cpu.shape, cpu.bytes.ToArray());
        }).ToList();
        SafetensorsFile.Write(path, entries, metadata);
    }

    /// <summary>Reads one tensor of a file onto the CPU.</summary>
    public static Tensor Read(SafetensorsFile file, string name)
    {
        var entry = file.Entries[name];
        var result = empty(entry.Shape, SafetensorsDType.ToScalarType(entry.DType));
        result.bytes = file.ReadBytes(name);
        return result;
    }

    /// <summary>
    /// Copies the file's tensors into the module's parameters and buffers. Every state-dict entry must be in the
    /// file with the same shape; the error names the file and every missing or mismatched key.
    /// </summary>
    public static void Load(nn.Module module, string path)
    {
        var file = SafetensorsFile.Open(path);
        var state = module.state_dict();
        var problems = new List<string>();
        foreach (var (name, target) in state)
        {
            if (!file.Entries.TryGetValue(name, out var entry)) problems.Add($"missing '{name}'");
            else if (!entry.Shape.SequenceEqual(target.shape))
                problems.Add($"'{name}' has shape [{string.Join(", ", entry.Shape)}], the model expects [{string.Join(", ", target.shape)}]");
        }
        var unexpected = file.Entries.Keys.Where(k => !state.ContainsKey(k)).ToList();
        if (unexpected.Count > 0) problems.Add($"{unexpected.Count} unexpected tensor(s), e.g. '{unexpected[0]}'");
        if (problems.Count > 0)
            throw new SafetensorsFormatException($"{path} does not match this model: {string.Join("; ", problems.Take(8))}.");

        using var noGrad = no_grad();
        foreach (var (name, target) in state)
        {
            using var loaded = Read(file, name);
            target.copy_(loaded.to(target.dtype, target.device));
        }
    }
}
