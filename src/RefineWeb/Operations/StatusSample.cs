namespace RefineWeb.Operations;

/// <summary>What a web node saw at one moment: the queue's length and every engine's figures from the board.</summary>
public sealed record StatusSample(DateTimeOffset At, int QueueLength, IReadOnlyList<WorkerStatus> Workers);
