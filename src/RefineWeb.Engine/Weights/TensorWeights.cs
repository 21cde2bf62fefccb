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
    /// <param name="widenInputs">Fine-tuning a network that takes more input channels than the file's (a layout channel
    /// added): a convolution weight with fewer input channels but otherwise the same shape fills the first ones, and the
    /// new ones start at zero, so the network computes exactly what the file's did until training moves them. Returns
    /// the names of the weights widened.</param>
    public static IReadOnlyList<string> Load(nn.Module module, string path, bool widenInputs = false)
    {
        var file = SafetensorsFile.Open(path);
        var state = module.state_dict();
        var problems = new List<string>();
        foreach (var (name, target) in state)
        {
            if (!file.Entries.TryGetValue(name, out var entry)) problems.Add($"missing '{name}'");
            else if (!entry.Shape.SequenceEqual(target.shape) && !(widenInputs && Widens(entry.Shape, target.shape)))
                problems.Add($"'{name}' has shape [{string.Join(", ", entry.Shape)}], the model expects [{string.Join(", ", target.shape)}]");
        }
        var unexpected = file.Entries.Keys.Where(k => !state.ContainsKey(k)).ToList();
        if (unexpected.Count > 0) problems.Add($"{unexpected.Count} unexpected tensor(s), e.g. '{unexpected[0]}'");
        if (problems.Count > 0)
            throw new SafetensorsFormatException($"{path} does not match this model: {string.Join("; ", problems.Take(8))}.");

        using var noGrad = no_grad();
        var widened = new List<string>();
        foreach (var (name, target) in state)
        {
            using var loaded = Read(file, name);
            if (loaded.shape.SequenceEqual(target.shape))
            {
                target.copy_(loaded.to(target.dtype, target.device));
                continue;
            }
            target.zero_();
            target.narrow(1, 0, loaded.shape[1]).copy_(loaded.to(target.dtype, target.device));
            widened.Add(name);
        }
        return widened;
    }

    /// <summary>A 4-D convolution weight that differs only in having more input channels (the second axis).</summary>
    static bool Widens(long[] stored, long[] wanted) =>
        stored.Length == 4 && wanted.Length == 4 && stored[1] < wanted[1] && stored[0] == wanted[0] && stored[2] == wanted[2] && stored[3] == wanted[3];
}
