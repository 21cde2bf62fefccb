using System.Text.Json;
using System.Text.Json.Serialization;
using RefineWeb.Engine.Imaging;

namespace RefineWeb.Generation.Queueing.Redis;

/// <summary>
/// A <see cref="GenerationJob"/> as it is stored in Redis: everything a worker needs to run it from the start (input,
/// seeds, the decoded picture and mask of an edit), so a job taken over from a dead worker makes the same bytes.
/// </summary>
public sealed record JobSpec(string Id, Guid Owner, GenerationInput Input, long[] Seeds, EditSpec? Edit, string[]? Warnings, DateTimeOffset CreatedAt)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static JobSpec Of(GenerationJob job) =>
        new(job.Id, job.Owner, job.Input, [.. job.Seeds], job.Edit is { } e ? EditSpec.Of(e) : null, job.Warnings?.ToArray(), job.CreatedAt);

    public GenerationJob ToJob() => new(Owner, Input, Seeds, Edit?.ToPlan(), Warnings, Id, CreatedAt);

    public string Serialize() => JsonSerializer.Serialize(this, Json);

    public static JobSpec Deserialize(string json) => JsonSerializer.Deserialize<JobSpec>(json, Json) ?? throw new InvalidDataException("empty job");
}

/// <summary>An <see cref="EditPlan"/> with its picture as raw RGB and its masks as one byte per pixel.</summary>
public sealed record EditSpec(EditKind Kind, string SourceId, int Width, int Height, byte[] Pixels, double Strength, byte[]? Mask, byte[]? Editable, int Feather, byte[]? MaskPng)
{
    public static EditSpec Of(EditPlan plan) => new(plan.Kind, plan.SourceId, plan.Source.Width, plan.Source.Height, plan.Source.Pixels, plan.Strength,
        Bytes(plan.Mask), Bytes(plan.Editable), plan.Feather, plan.MaskPng);

    public EditPlan ToPlan() => new(Kind, SourceId, new RgbImage(Width, Height, Pixels), Strength, Bools(Mask), Bools(Editable), Feather, MaskPng);

    static byte[]? Bytes(bool[]? mask) => mask?.Select(m => m ? (byte)1 : (byte)0).ToArray();

    static bool[]? Bools(byte[]? mask) => mask?.Select(m => m != 0).ToArray();
}
