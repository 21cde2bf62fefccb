using RefineWeb.Engine.Runtime;

namespace RefineWeb.Generation;

/// <summary>The "Model" section of appsettings.json.</summary>
public sealed class ModelOptions
{
    public const string Section = "Model";

    /// <summary>Model folder, relative to the content root (the repository root under `dotnet run`).</summary>
    public string Directory { get; set; } = "models/emoji-cascade-v1";

    /// <summary>auto (CUDA when available, else CPU), cpu or cuda.</summary>
    public ComputeDevice Device { get; set; } = ComputeDevice.Auto;
}
