namespace RefineWeb.Generation;

/// <summary>Why a submission was not queued; null fields when it was.</summary>
public sealed record SubmitResult(GenerationJob? Job, Dictionary<string, string[]>? Errors = null, bool QueueFull = false, string? Unavailable = null);

/// <summary>The one way in for the page, the hub and the API: validate, then queue. Nothing is queued on bad input.</summary>
public sealed class GenerationService(GenerationQueue queue, ModelHost models)
{
    public SubmitResult Submit(GenerationInput input)
    {
        var errors = GenerationLimits.Validate(input, models.StageCount);
        if (errors.Count > 0) return new SubmitResult(null, errors);
        if (models.LoadError is { } reason) return new SubmitResult(null, Unavailable: reason);
        long first = input.Seed ?? Random.Shared.NextInt64(0, int.MaxValue);
        var job = new GenerationJob(input, [.. Enumerable.Range(0, input.Count).Select(i => first + i)]);
        return queue.TryEnqueue(job) ? new SubmitResult(job) : new SubmitResult(null, QueueFull: true);
    }

    public GenerationJob? Find(string id) => queue.Find(id);
}
