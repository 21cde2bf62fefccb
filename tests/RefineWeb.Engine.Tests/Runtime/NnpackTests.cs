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
        try
        {
            // Control: with NNPACK on, libtorch complains on this project's CPUs (no NNPACK support), which
            // proves the capture sees native stderr.
            NnpackSwitch.SetEnabled(true);
            var noisy = NativeStderrCapture.Run(Convolve);
            Assert.Contains("Could not initialize NNPACK", noisy);
        }
        finally
        {
            NnpackSwitch.SetEnabled(false);
        }
        var quiet = NativeStderrCapture.Run(Convolve);
        Assert.Equal("", quiet);
    }
}
