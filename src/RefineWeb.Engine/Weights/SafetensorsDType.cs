using static TorchSharp.torch;

namespace RefineWeb.Engine.Weights;

/// <summary>The dtype names of the safetensors format and their sizes and TorchSharp types.</summary>
public static class SafetensorsDType
{
    static readonly Dictionary<string, (int Size, ScalarType Type)> Known = new()
    {
        ["F64"] = (8, ScalarType.Float64),
        ["F32"] = (4, ScalarType.Float32),
        ["F16"] = (2, ScalarType.Float16),
        ["BF16"] = (2, ScalarType.BFloat16),
        ["I64"] = (8, ScalarType.Int64),
        ["I32"] = (4, ScalarType.Int32),
        ["I16"] = (2, ScalarType.Int16),
        ["I8"] = (1, ScalarType.Int8),
        ["U8"] = (1, ScalarType.Byte),
        ["BOOL"] = (1, ScalarType.Bool),
    };

    public static bool IsKnown(string name) => Known.ContainsKey(name);
    public static int SizeOf(string name) => Known[name].Size;
    public static ScalarType ToScalarType(string name) => Known[name].Type;

    public static string FromScalarType(ScalarType type) =>
        Known.FirstOrDefault(kv => kv.Value.Type == type).Key
        ?? throw new NotSupportedException($"safetensors has no dtype for {type}.");
}
