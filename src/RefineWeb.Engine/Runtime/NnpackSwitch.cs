using System.Runtime.InteropServices;

namespace RefineWeb.Engine.Runtime;

/// <summary>
/// Turns libtorch's NNPACK convolution path off. On CPUs NNPACK does not support, libtorch otherwise prints
/// "Could not initialize NNPACK! Reason: Unsupported hardware." on every convolution. TorchSharp 0.107 exposes no
/// switch for it, so this calls <c>at::globalContext().setUserEnabledNNPACK(false)</c> in libtorch_cpu directly
/// (the same switch as PyTorch's <c>torch.backends.nnpack.set_flags(False)</c>). The convolution then takes the
/// ordinary (oneDNN / im2col) path, which is what runs anyway when NNPACK cannot initialize.
/// </summary>
internal static partial class NnpackSwitch
{
    const string LibTorchCpu = "torch_cpu";

    [LibraryImport(LibTorchCpu, EntryPoint = "_ZN2at13globalContextEv")]
    private static partial IntPtr GlobalContext();

    [LibraryImport(LibTorchCpu, EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static partial void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [LibraryImport(LibTorchCpu, EntryPoint = "_ZNK2at7Context17userEnabledNNPACKEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static partial bool UserEnabledNnpack(IntPtr context);

    /// <summary>Disables NNPACK; returns false where libtorch_cpu has no such switch (other builds of libtorch).</summary>
    public static bool TryDisable()
    {
        try
        {
            var context = GlobalContext();
            SetUserEnabledNnpack(context, false);
            return !UserEnabledNnpack(context);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    public static bool IsEnabled() => UserEnabledNnpack(GlobalContext());

    [LibraryImport(LibTorchCpu, EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static partial void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [LibraryImport(LibTorchCpu, EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static partial bool UserEnabledMkldnn(IntPtr context);

    /// <summary>Whether convolutions may take libtorch's oneDNN (mkldnn) path.</summary>
    public static bool OneDnnEnabled
    {
        get => UserEnabledMkldnn(GlobalContext());
        set => SetUserEnabledMkldnn(GlobalContext(), value);
    }

    /// <summary>For tests that show the switch matters: turn NNPACK back on.</summary>
    internal static void SetEnabled(bool enabled) => SetUserEnabledNnpack(GlobalContext(), enabled);
}
