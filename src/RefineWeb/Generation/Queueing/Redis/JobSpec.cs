using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using RefineWeb.Engine.Requests;

namespace RefineWeb.Generation.Queueing.Redis;

/// <summary>
/// A <see cref="GenerationJob"/> as it is stored in Redis: its request as it is (settings with the seed, the parsed
/// prompt, the decoded picture and mask of an edit), so a worker runs it from the start and a job taken over from a
/// dead worker makes the same bytes. <see cref="TraceParent"/> carries the submitting span across (W3C trace
/// context), so the worker's spans of the job belong to the same trace as the web node's.
/// </summary>
public sealed record JobSpec(string Id, Guid Owner, ImageRequest Request, string[]? Warnings, DateTimeOffset CreatedAt, string? TraceParent = null)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static JobSpec Of(GenerationJob job) => new(job.Id, job.Owner, job.Request, job.Warnings?.ToArray(), job.CreatedAt,
        job.Submission == default ? null : $"00-{job.Submission.TraceId.ToHexString()}-{job.Submission.SpanId.ToHexString()}-{(int)job.Submission.TraceFlags:x2}");

    public GenerationJob ToJob() => new(Owner, Request, Warnings, Id, CreatedAt)
    {
        Submission = TraceParent is not null && ActivityContext.TryParse(TraceParent, null, isRemote: true, out var parent) ? parent : default,
    };

    public string Serialize() => JsonSerializer.Serialize(this, Json);

    public static JobSpec Deserialize(string json) => JsonSerializer.Deserialize<JobSpec>(json, Json) ?? throw new InvalidDataException("empty job");
}
