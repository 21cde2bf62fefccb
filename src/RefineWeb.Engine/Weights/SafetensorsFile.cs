using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RefineWeb.Engine.Weights;

/// <summary>Where one tensor lies in a safetensors file's data section.</summary>
public sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// Reads and writes the safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
/// header mapping each tensor name to {dtype, shape, data_offsets} plus optional "__metadata__" (string to string),
/// then the raw little-endian tensor bytes. Written by hand: no package served here reads the format.
/// This layer knows bytes only; <see cref="TensorWeights"/> turns entries into TorchSharp tensors.
/// </summary>
public sealed class SafetensorsFile
{
    const long MaxHeaderBytes = 100_000_000; // the reference implementation's limit
    public const string MetadataKey = "__metadata__";

    public string Path { get; }
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    readonly long dataStart;

    SafetensorsFile(string path, Dictionary<string, SafetensorsEntry> entries, Dictionary<string, string> metadata, long dataStart)
    {
        Path = path;
        Entries = entries;
        Metadata = metadata;
        this.dataStart = dataStart;
    }

    /// <summary>Reads and validates the header; tensor bytes are read on demand.</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Weights file not found: {path}", path);
        using var stream = File.OpenRead(path);
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.Read(lengthBytes) != 8) Fail(path, "it is shorter than the 8-byte header length");
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > stream.Length)
            Fail(path, $"its header length ({headerLength} bytes) does not fit the file ({stream.Length} bytes)");

        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        JsonObject header;
        try
        {
            header = JsonNode.Parse(headerBytes) as JsonObject ?? throw new JsonException("the header is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException($"{path} is not a safetensors file: its header is not valid JSON ({e.Message}).", e);
        }

        long dataLength = stream.Length - 8 - headerLength;
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, node) in header)
        {
            if (name == MetadataKey)
            {
                if (node is not JsonObject meta) Fail(path, "__metadata__ is not an object");
                foreach (var (key, value) in (JsonObject)node!)
                    metadata[key] = value is JsonValue v && v.TryGetValue<string>(out var s) ? s
                        : throw new SafetensorsFormatException($"{path}: __metadata__ value of '{key}' is not a string.");
                continue;
            }
            entries[name] = ParseEntry(path, name, node, dataLength);
        }
        CheckCoverage(path, entries.Values, dataLength);
        return new SafetensorsFile(path, entries, metadata, 8 + headerLength);
    }

    static SafetensorsEntry ParseEntry(string path, string name, JsonNode? node, long dataLength)
    {
        try
        {
            var dtype = node!["dtype"]!.GetValue<string>();
            if (!SafetensorsDType.IsKnown(dtype)) Fail(path, $"tensor '{name}' has unsupported dtype '{dtype}'");
            var shape = node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var offsets = node["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                Fail(path, $"tensor '{name}' has data offsets outside the file");
            var entry = new SafetensorsEntry(name, dtype, shape, offsets[0], offsets[1]);
            if (shape.Any(d => d < 0) || entry.ElementCount * SafetensorsDType.SizeOf(dtype) != entry.End - entry.Begin)
                Fail(path, $"tensor '{name}' has {entry.End - entry.Begin} bytes, which does not match shape [{string.Join(", ", shape)}] of {dtype}");
            return entry;
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException or JsonException)
        {
            throw new SafetensorsFormatException($"{path}: tensor '{name}' lacks a valid dtype, shape or data_offsets.", e);
        }
    }

    /// <summary>The format requires the tensors to tile the data section without gaps or overlaps.</summary>
    static void CheckCoverage(string path, IEnumerable<SafetensorsEntry> entries, long dataLength)
    {
        long expected = 0;
        foreach (var entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin != expected) Fail(path, $"tensor '{entry.Name}' overlaps another or leaves a gap before it");
            expected = entry.End;
        }
        if (expected != dataLength) Fail(path, $"the tensors cover {expected} of {dataLength} data bytes");
    }

    /// <summary>The raw little-endian bytes of one tensor.</summary>
    public byte[] ReadBytes(string name)
    {
        if (!Entries.TryGetValue(name, out var entry))
            throw new KeyNotFoundException($"{Path} has no tensor named '{name}'.");
        using var stream = File.OpenRead(Path);
        stream.Position = dataStart + entry.Begin;
        var bytes = new byte[entry.End - entry.Begin];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>
    /// Writes tensors (name, dtype, shape, bytes) in name order, header padded with spaces to 8 bytes. Writes to a
    /// temporary file first and moves it into place, so a crash never leaves a half-written weights file.
    /// </summary>
    public static void Write(string path, IEnumerable<(string Name, string DType, long[] Shape, byte[] Data)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header[MetadataKey] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        long offset = 0;
        foreach (var (name, dtype, shape, data) in ordered)
        {
            if (name == MetadataKey) throw new ArgumentException($"'{MetadataKey}' is reserved.");
            if (!SafetensorsDType.IsKnown(dtype)) throw new ArgumentException($"Unsupported dtype '{dtype}' for '{name}'.");
            long expected = shape.Aggregate(1L, (a, b) => a * b) * SafetensorsDType.SizeOf(dtype);
            if (expected != data.Length) throw new ArgumentException($"'{name}': {data.Length} bytes for shape [{string.Join(", ", shape)}] of {dtype}; expected {expected}.");
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(shape.Select(d => (JsonNode?)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + data.Length),
            };
            offset += data.Length;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;

        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = File.Create(temporary))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
                stream.Write(length);
                stream.Write(json);
                for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
                foreach (var tensor in ordered) stream.Write(tensor.Data);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    static void Fail(string path, string why) =>
        throw new SafetensorsFormatException($"{path} is not a valid safetensors file: {why}.");
}
