using System.Text.Json;
using System.Text.Json.Serialization;
using RefineWeb.Engine.Imaging;

namespace RefineWeb.Engine.Requests;

public enum EditKind
{
    /// <summary>Re-refine the masked region of an image.</summary>
    RefineRegion,
    /// <summary>Scale an image to the working size and refine all of it.</summary>
    RefineWhole,
    /// <summary>Enter the cascade at the image's size; the refiners take it up.</summary>
    Upscale,
    /// <summary>Re-align a finished image with its own prompt: refine the regions whose phrase scores low (RealignDiff's fine stage).</summary>
    Realign,
}

/// <summary>
/// A refinement or upscale, checked and decoded when it was submitted: the picture it starts from (already at the
/// size the engine works on), the mask the user painted and the editable region around it (mask plus feather).
/// Everything a worker needs to run it from the start, so a job taken over from a dead worker makes the same bytes.
/// </summary>
public sealed record ImageEdit(EditKind Kind, string SourceId, RgbImage Source, double Strength,
    [property: JsonConverter(typeof(MaskJsonConverter))] bool[]? Mask = null,
    [property: JsonConverter(typeof(MaskJsonConverter))] bool[]? Editable = null,
    int Feather = 0, byte[]? MaskPng = null);

/// <summary>A mask as base64 of one byte per pixel (JSON's true/false per pixel would be five times larger).</summary>
public sealed class MaskJsonConverter : JsonConverter<bool[]>
{
    public override bool[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        [.. reader.GetBytesFromBase64().Select(b => b != 0)];

    public override void Write(Utf8JsonWriter writer, bool[] value, JsonSerializerOptions options) =>
        writer.WriteBase64StringValue(value.Select(m => m ? (byte)1 : (byte)0).ToArray());
}
