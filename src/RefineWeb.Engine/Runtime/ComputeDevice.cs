namespace RefineWeb.Engine.Runtime;

/// <summary>Where the networks run. <see cref="Auto"/> picks CUDA when libtorch sees a GPU, else the CPU.</summary>
public enum ComputeDevice
{
    Auto,
    Cpu,
    Cuda,
}
