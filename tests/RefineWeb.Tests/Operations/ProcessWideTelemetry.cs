namespace RefineWeb.Tests.Operations;

/// <summary>
/// OpenTelemetry matches meters and activity sources by name across the whole test process, so another test's host
/// running jobs at the same time would share (or, with a duplicate instrument, take) the figures: these tests run
/// alone, after the parallel ones.
/// </summary>
[CollectionDefinition(nameof(ProcessWideTelemetry), DisableParallelization = true)]
public sealed class ProcessWideTelemetry;
