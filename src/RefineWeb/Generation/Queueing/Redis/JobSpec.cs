using System.Text.Json;
using System.Text.Json.Serialization;
using RefineWeb.Engine.Requests;

namespace RefineWeb.Generation.Queueing.Redis;

/// <summary>
/// A <see cref="GenerationJob"/> as it is stored in Redis: its request as it is (settings with the seed, the parsed
/// prompt, the decoded picture and mask of an edit), so a worker runs it from the start and a job taken over from a
/// dead worker makes the same bytes.
/// </summary>
public sealed record JobSpec(string Id, Guid Owner, ImageRequest Request, string[]? Warnings, DateTimeOffset CreatedAt)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static JobSpec Of(GenerationJob job) => new(job.Id, job.Owner, job.Request, job.Warnings?.ToArray(), job.CreatedAt);

    public GenerationJob ToJob() => new(Owner, Request, Warnings, Id, CreatedAt);

    public string Serialize() => JsonSerializer.Serialize(this, Json);

    public static JobSpec Deserialize(string json) => JsonSerializer.Deserialize<JobSpec>(json, Json) ?? throw new InvalidDataException("empty job");
}
