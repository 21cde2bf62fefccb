using System.Runtime.InteropServices;
using RefineWeb.Engine.Runtime;

namespace RefineWeb.Engine.Tests.Runtime;

public sealed partial class OneDnnIsaTests
{
    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetEnv(string name);

    [Fact]
    public void Once_libtorch_is_set_up_onednn_sees_its_isa_capped_at_avx2_unless_the_operator_chose_one()
    {
        TorchRuntime.Initialize();
        var native = Marshal.PtrToStringUTF8(GetEnv("ONEDNN_MAX_CPU_ISA")); // what oneDNN's own getenv reads
        if (TorchRuntime.OneDnnCappedAtAvx2) Assert.Equal("AVX2", native);
        else Assert.NotNull(native); // the operator's value, left alone
    }
}
