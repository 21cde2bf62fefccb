using System.Runtime.InteropServices;

namespace RefineWeb.Engine.Runtime;

/// <summary>
/// Hands memory the native heap has freed back to the operating system. libtorch allocates each step's activations
/// with malloc; after large blocks are freed, glibc raises its mmap threshold and serves later ones from its arenas,
/// which it does not shrink, so a server's resident size creeps up with every new mix of batch sizes and stages
/// (measured in the soak benchmark: +290 MB in one step, then about 15 MB a minute, with the managed heap flat).
/// glibc's malloc_trim releases the free pages; no package exposes it, hence the one P/Invoke here.
/// </summary>
public static partial class NativeHeap
{
    static bool unavailable = !OperatingSystem.IsLinux();

    [LibraryImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    /// <summary>Call between jobs (a few milliseconds); a no-op where the C library is not glibc.</summary>
    public static void Trim()
    {
        if (unavailable) return;
        try
        {
            MallocTrim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            unavailable = true; // musl or another libc: nothing to trim this way
        }
    }
}
