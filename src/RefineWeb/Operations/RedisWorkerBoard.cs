using System.Text.Json;
using Microsoft.Extensions.Options;
using RefineWeb.Generation;
using RefineWeb.Generation.Queueing.Redis;
using StackExchange.Redis;

namespace RefineWeb.Operations;

/// <summary>
/// The cluster's status board: one Redis hash, a field per worker holding its latest <see cref="WorkerStatus"/> as
/// JSON. Any web node reads every worker's figures from it; a worker silent for <see cref="ForgetAfter"/> is removed.
/// </summary>
public sealed class RedisWorkerBoard(IConnectionMultiplexer redis, IOptions<EngineOptions> engine) : IWorkerBoard
{
    /// <summary>A worker gone this long is off the board (the status page shows it as silent until then).</summary>
    public static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(15);

    readonly RedisKey board = engine.Value.KeyPrefix + "worker-status";

    IDatabase Db => redis.GetDatabase();

    public Task PostAsync(WorkerStatus status, CancellationToken cancel = default) =>
        Db.HashSetAsync(board, status.Name, JsonSerializer.Serialize(status, JobSpec.Json));

    public async Task<IReadOnlyList<WorkerStatus>> ReadAsync(CancellationToken cancel = default)
    {
        var now = DateTimeOffset.UtcNow;
        List<WorkerStatus> workers = [];
        foreach (var entry in await Db.HashGetAllAsync(board))
        {
            var status = Read(entry.Value);
            if (status is null || now - status.At > ForgetAfter) await Db.HashDeleteAsync(board, entry.Name);
            else workers.Add(status);
        }
        return [.. workers.OrderBy(w => w.Name, StringComparer.Ordinal)];
    }

    static WorkerStatus? Read(RedisValue json)
    {
        try
        {
            return JsonSerializer.Deserialize<WorkerStatus>((string)json!, JobSpec.Json);
        }
        catch (JsonException)
        {
            return null; // written by another version: it is posted again in a moment
        }
    }
}
