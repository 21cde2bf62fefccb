using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Runtime;

[Collection(nameof(ProcessWideState))]
public class NnpackTests
{
    static void Convolve()
    {
        using var scope = NewDisposeScope();
        var conv = nn.Conv2d(3, 16, 3, padding: 1);
        // libtorch picks NNPACK for single-image convolutions; each one warns when NNPACK is on.
        for (int i = 0; i < 3; i++) conv.call(randn(1, 3, 32, 32)).sum().item<float>();
    }

    [Fact]
    public void Runtime_turns_nnpack_off()
    {
        Assert.True(TorchRuntime.NnpackDisabled);
        Assert.False(NnpackSwitch.IsEnabled());
    }

    [Fact]
    public void Convolution_prints_nothing_once_the_runtime_is_initialized()
    {
        // Control: the capture sees what native code writes to file descriptor 2, where libtorch warns.
        Assert.Equal("probe\n", NativeStderrCapture.Run(() => NativeStderrCapture.WriteNative("probe\n")));
        try
        {
            // With NNPACK on, libtorch warns on every convolution on CPUs NNPACK cannot use (this project's 2-core
            // machines); on CPUs it can use it stays quiet. Anything else would be a new message.
            NnpackSwitch.SetEnabled(true);
            var noisy = NativeStderrCapture.Run(Convolve);
            Assert.True(noisy.Length == 0 || noisy.Contains("Could not initialize NNPACK", StringComparison.Ordinal), noisy);
        }
        finally
        {
            NnpackSwitch.SetEnabled(false);
        }
        var quiet = NativeStderrCapture.Run(Convolve);
        Assert.Equal("", quiet);
    }
}
