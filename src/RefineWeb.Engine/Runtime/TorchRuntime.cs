using TorchSharp;

namespace RefineWeb.Engine.Runtime;

/// <summary>
/// One-time process set-up for libtorch: load the native library, silence NNPACK, choose the device.
/// Every entry point (web host, CLI, tests) calls <see cref="Initialize"/> before touching a tensor.
/// </summary>
public static class TorchRuntime
{
    static readonly Lock Gate = new();
    static bool initialized;

    /// <summary>Whether this process capped oneDNN at AVX2 (false where ONEDNN_MAX_CPU_ISA was already set, or off Linux).</summary>
    public static bool OneDnnCappedAtAvx2 { get; private set; }

    /// <summary>Whether NNPACK was switched off (false only on libtorch builds without the switch).</summary>
    public static bool NnpackDisabled { get; private set; }

    /// <summary>Loads libtorch and applies process-wide settings. Safe to call many times.</summary>
    public static void Initialize()
    {
        lock (Gate)
        {
            if (initialized) return;
            OneDnnCappedAtAvx2 = OneDnnIsa.CapAtAvx2(); // before oneDNN's first primitive: it reads the cap once
            // Any tensor operation makes TorchSharp load libtorch; the NNPACK switch lives there.
            using (torch.zeros(1)) { }
            NnpackDisabled = NnpackSwitch.TryDisable();
            initialized = true;
        }
    }

    /// <summary>
    /// Whether convolutions may use oneDNN (mkldnn). Off for training: on this libtorch build (2.10, x86-64 CPU) the
    /// oneDNN backward of a convolution with few output channels now and then returns NaN gradients (a U-Net's last
    /// 3-channel convolution hits it within a few steps); the native path computes the same values without it.
    /// </summary>
    public static bool OneDnnConvolutions
    {
        get { Initialize(); return NnpackSwitch.OneDnnEnabled; }
        set { Initialize(); NnpackSwitch.OneDnnEnabled = value; }
    }

    /// <summary>Resolves <see cref="ComputeDevice.Auto"/> and checks that CUDA is really there when asked for.</summary>
    public static torch.Device Resolve(ComputeDevice requested)
    {
        Initialize();
        return requested switch
        {
            ComputeDevice.Cpu => torch.CPU,
            ComputeDevice.Cuda when torch.cuda.is_available() => torch.CUDA,
            ComputeDevice.Cuda => throw new InvalidOperationException(
                "Device 'cuda' was requested but libtorch sees no CUDA GPU. Build with -p:TorchBackend=cuda-linux " +
                "(or cuda-windows) and check the NVIDIA driver, or set the device to 'auto' or 'cpu'."),
            _ => torch.cuda.is_available() ? torch.CUDA : torch.CPU,
        };
    }
}
