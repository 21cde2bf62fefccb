namespace RefineWeb.Generation;

/// <summary>
/// A cluster's web node runs no engine, but it checks requests against the model (its stages, sizes and
/// vocabulary): this loads it once at start, off the request path.
/// </summary>
public sealed class ModelLoader(ModelHost models) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => models.Load(), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
