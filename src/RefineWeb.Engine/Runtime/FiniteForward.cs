using static TorchSharp.torch;

namespace RefineWeb.Engine.Runtime;

/// <summary>
/// A network pass whose output is finite. oneDNN's AVX-512 convolutions returned NaN now and then on the machines
/// measured here (1 in 20 full cascades, at refiner128 or refiner256); <see cref="TorchRuntime"/> caps oneDNN at AVX2,
/// which ended it (0 in 60). Should a pass still come back non-finite (another CPU, another libtorch), it runs again
/// on libtorch's own convolution, equal up to float rounding; still non-finite is an error.
/// </summary>
public static class FiniteForward
{
    static long retries;

    /// <summary>Passes that came back with NaN or infinity and were run again without oneDNN, since the process started.</summary>
    public static long Retries => Interlocked.Read(ref retries);

    /// <param name="what">Names the network in the error.</param>
    public static Tensor Run(Func<Tensor> pass, string what)
    {
        var output = pass();
        if (output.isfinite().all().item<bool>()) return output;
        output.Dispose();
        Interlocked.Increment(ref retries);
        bool oneDnn = TorchRuntime.OneDnnConvolutions;
        TorchRuntime.OneDnnConvolutions = false;
        try
        {
            output = pass();
        }
        finally
        {
            TorchRuntime.OneDnnConvolutions = oneDnn;
        }
        if (!output.isfinite().all().item<bool>())
            throw new InvalidOperationException($"{what} returned non-finite values, with and without oneDNN.");
        return output;
    }
}
