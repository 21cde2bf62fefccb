using RefineWeb.Generation;
namespace RefineWeb.Operations;

/// <summary>
/// What a web node saw at one moment: the queue's length, every engine's figures from the board, and the jobs
/// cancelled while waiting that this node ended (<see cref="Generation.Queueing.IGenerationQueue.Withdrawn"/>).
/// </summary>
public sealed record StatusSample(DateTimeOffset At, int QueueLength, IReadOnlyList<WorkerStatus> Workers, long Withdrawn = 0);
