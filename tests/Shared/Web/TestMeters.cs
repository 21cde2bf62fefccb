using System.Diagnostics.Metrics;

namespace RefineWeb.Tests;

/// <summary>A meter factory for engine parts built by hand in tests (GenerationMetrics needs one).</summary>
sealed class TestMeters : IMeterFactory
{
    public Meter Create(MeterOptions options) => new(options);
    public void Dispose() { }
}
