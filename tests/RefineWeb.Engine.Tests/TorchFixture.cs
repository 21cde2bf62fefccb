using System.Runtime.CompilerServices;
using RefineWeb.Engine.Runtime;

namespace RefineWeb.Engine.Tests;

static class TorchFixture
{
    /// <summary>Every test in this assembly may touch tensors: set libtorch up once, before any of them.</summary>
    [ModuleInitializer]
    internal static void Initialize()
    {
        TorchSharp.torch.set_num_threads(2);
        TorchRuntime.Initialize();
    }
}

/// <summary>
/// Tests that read or flip process-wide libtorch state (the NNPACK switch, the live-tensor count, the global random
/// generator that seeds weight initialisation) run alone, after the parallel ones.
/// </summary>
[CollectionDefinition(nameof(ProcessWideState), DisableParallelization = true)]
public class ProcessWideState;
