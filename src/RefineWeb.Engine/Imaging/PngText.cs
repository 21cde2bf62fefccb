using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace RefineWeb.Engine.Imaging;

/// <summary>
/// Text chunks in PNG files (tEXt, or iTXt when the text is not Latin-1): how image UIs carry generation parameters
/// (key "parameters"). Written here because SkiaSharp neither writes nor exposes them; CRCs come from System.IO.Hashing.
/// </summary>
public static class PngText
{
    static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    static readonly Encoding Latin1 = Encoding.Latin1;

    /// <summary>The PNG with one text chunk per entry inserted right after IHDR.</summary>
    public static byte[] With(byte[] png, IReadOnlyDictionary<string, string> entries)
    {
        if (!png.AsSpan().StartsWith(Signature)) throw new InvalidDataException("Not a PNG file.");
        int afterHeader = Signature.Length + 8 + ReadLength(png, Signature.Length) + 4;
        using var output = new MemoryStream();
        output.Write(png, 0, afterHeader);
        foreach (var (keyword, text) in entries) WriteChunk(output, Chunk(keyword, text));
        output.Write(png, afterHeader, png.Length - afterHeader);
        return output.ToArray();
    }

    /// <summary>
    /// Every text entry of the PNG. Chunks that are damaged (bad CRC, bad layout) are skipped and described in
    /// <c>Problems</c>; a file that is not a PNG gives no entries and one problem.
    /// </summary>
    public static (Dictionary<string, string> Entries, List<string> Problems) Read(byte[] png)
    {
        var entries = new Dictionary<string, string>();
        var problems = new List<string>();
        if (!png.AsSpan().StartsWith(Signature)) return (entries, ["not a PNG file"]);
        int position = Signature.Length;
        while (position + 12 <= png.Length)
        {
            int length = ReadLength(png, position);
            if (length < 0 || position + 12L + length > png.Length)
            {
                problems.Add($"chunk at byte {position} runs past the end of the file");
                break;
            }
            var type = Latin1.GetString(png, position + 4, 4);
            var data = png.AsSpan(position + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(position + 8 + length, 4));
            if (type is "tEXt" or "iTXt")
            {
                if (Crc32.HashToUInt32(png.AsSpan(position + 4, 4 + length)) != crc) problems.Add($"{type} chunk at byte {position} has a bad CRC");
                else if (Parse(type, data) is { } entry) entries[entry.Keyword] = entry.Text;
                else problems.Add($"{type} chunk at byte {position} is malformed");
            }
            if (type == "IEND") break;
            position += 12 + length;
        }
        return (entries, problems);
    }

    static int ReadLength(byte[] png, int position) => (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(position, 4)), int.MaxValue);

    static (string Type, byte[] Data) Chunk(string keyword, string text)
    {
        if (keyword.Length is < 1 or > 79 || keyword.Any(c => c < 32 || c > 126)) throw new ArgumentException($"'{keyword}' is not a valid PNG text keyword.");
        bool latin1 = text.All(c => c <= 0xFF);
        using var data = new MemoryStream();
        data.Write(Latin1.GetBytes(keyword));
        data.WriteByte(0);
        if (latin1)
        {
            data.Write(Latin1.GetBytes(text));
            return ("tEXt", data.ToArray());
        }
        data.Write([0, 0, 0, 0]); // not compressed, no method, empty language tag, empty translated keyword
        data.Write(Encoding.UTF8.GetBytes(text));
        return ("iTXt", data.ToArray());
    }

    static (string Keyword, string Text)? Parse(string type, ReadOnlySpan<byte> data)
    {
        int zero = data.IndexOf((byte)0);
        if (zero < 1) return null;
        var keyword = Latin1.GetString(data[..zero]);
        var rest = data[(zero + 1)..];
        if (type == "tEXt") return (keyword, Latin1.GetString(rest));
        if (rest.Length < 2 || rest[0] != 0) return null; // compressed iTXt is not written here and not read
        rest = rest[2..];
        int language = rest.IndexOf((byte)0);
        if (language < 0) return null;
        rest = rest[(language + 1)..];
        int translated = rest.IndexOf((byte)0);
        if (translated < 0) return null;
        try
        {
            return (keyword, new UTF8Encoding(false, true).GetString(rest[(translated + 1)..]));
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    static void WriteChunk(Stream output, (string Type, byte[] Data) chunk)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)chunk.Data.Length);
        Latin1.GetBytes(chunk.Type, header[4..]);
        output.Write(header);
        output.Write(chunk.Data);
        var crc = new Crc32();
        crc.Append(header[4..]);
        crc.Append(chunk.Data);
        Span<byte> sum = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(sum, crc.GetCurrentHashAsUInt32());
        output.Write(sum);
    }
}
