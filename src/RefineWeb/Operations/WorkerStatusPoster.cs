using Microsoft.Extensions.Options;
using RefineWeb.Generation;

namespace RefineWeb.Operations;

/// <summary>An engine's side of the status board: its figures (<see cref="GenerationMetrics.Status"/>) posted every interval.</summary>
public sealed class WorkerStatusPoster(GenerationMetrics metrics, IWorkerBoard board, TelemetryOptions telemetry, IOptions<GenerationOptions> generation,
    ILogger<WorkerStatusPoster> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(telemetry.StatusInterval);
        string name = generation.Value.ResolvedWorkerName;
        bool failing = false;
        do
        {
            try
            {
                await board.PostAsync(metrics.Status(name, DateTimeOffset.UtcNow), stoppingToken);
                failing = false;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (!failing) log.LogWarning("Could not post this engine's status: {Reason}", e.Message); // once per outage, not every interval
                failing = true;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken)); // stopping ends the wait with OperationCanceledException, which the host expects
    }
}
