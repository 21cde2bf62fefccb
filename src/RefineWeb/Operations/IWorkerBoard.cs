using RefineWeb.Generation;

namespace RefineWeb.Operations;

/// <summary>
/// Where engines post their <see cref="WorkerStatus"/> and web nodes read them: in memory in one process
/// (<see cref="LocalWorkerBoard"/>), a Redis hash in a cluster (<see cref="RedisWorkerBoard"/>).
/// </summary>
public interface IWorkerBoard
{
    Task PostAsync(WorkerStatus status, CancellationToken cancel = default);

    /// <summary>Every worker that told its figures lately (gone ones are dropped after a while), by name.</summary>
    Task<IReadOnlyList<WorkerStatus>> ReadAsync(CancellationToken cancel = default);
}

/// <summary>One process: its own engine is the only worker.</summary>
public sealed class LocalWorkerBoard : IWorkerBoard
{
    WorkerStatus? latest;

    public Task PostAsync(WorkerStatus status, CancellationToken cancel = default)
    {
        Volatile.Write(ref latest, status);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<WorkerStatus>> ReadAsync(CancellationToken cancel = default) =>
        Task.FromResult<IReadOnlyList<WorkerStatus>>(Volatile.Read(ref latest) is { } status ? [status] : []);
}
