using System.Runtime.InteropServices;

namespace RefineWeb.Engine.Runtime;

/// <summary>
/// Keeps oneDNN (libtorch's CPU convolutions) to AVX2 kernels unless ONEDNN_MAX_CPU_ISA says otherwise. On the
/// AVX-512 machines measured here (AMD EPYC, 2 vCPUs, libtorch 2.10), oneDNN's AVX-512 convolutions now and then
/// returned garbage: NaN in 1 of 20 full cascades and, in one process run twice over 30 requests, 7 of the 30
/// pictures not byte-identical to the first time. Capped at AVX2: no NaN and no difference in 60 requests, at the
/// same speed (20 cascades: 15.3 / 15.7 s default against 15.7 / 14.7 s AVX2). oneDNN reads the variable once, at
/// its first primitive, so this runs before any tensor exists; .NET's Environment.SetEnvironmentVariable does not
/// reach native getenv on Linux, hence libc's setenv (written by hand: no package sets a native variable).
/// </summary>
internal static partial class OneDnnIsa
{
    public const string Variable = "ONEDNN_MAX_CPU_ISA";

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    /// <summary>Sets the cap where the process has none of its own (an operator's value wins); false if it could not.</summary>
    public static bool CapAtAvx2()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) is not null) return false;
        try
        {
            return SetEnv(Variable, "AVX2", overwrite: 0) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
