using System.Buffers.Binary;
using System.Text;
using RefineWeb.Engine.Weights;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Weights;

public class SafetensorsFileTests
{
    [Fact]
    public void Round_trip_keeps_names_dtypes_shapes_bytes_and_metadata()
    {
        using var dir = new TempDirectory();
        var path = dir.File("w.safetensors");
        byte[] a = [1, 2, 3, 4, 5, 6, 7, 8], b = [9, 10];
        SafetensorsFile.Write(path, [("b.weight", "U8", [2], b), ("a.bias", "F32", [2, 1], a)],
            new Dictionary<string, string> { ["format"] = "pt" });

        var file = SafetensorsFile.Open(path);
        Assert.Equal(["a.bias", "b.weight"], file.Entries.Keys.Order());
        Assert.Equal("F32", file.Entries["a.bias"].DType);
        Assert.Equal([2L, 1L], file.Entries["a.bias"].Shape);
        Assert.Equal(a, file.ReadBytes("a.bias"));
        Assert.Equal(b, file.ReadBytes("b.weight"));
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [Fact]
    public void Header_is_padded_to_eight_bytes_and_the_layout_matches_the_spec()
    {
        using var dir = new TempDirectory();
        var path = dir.File("w.safetensors");
        SafetensorsFile.Write(path, [("x", "F32", [1], BitConverter.GetBytes(1.5f))]);
        var bytes = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.StartsWith("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", header);
        Assert.Equal(1.5f, BitConverter.ToSingle(bytes, 8 + (int)headerLength));
    }

    [Fact]
    public void Module_weights_round_trip_through_a_file()
    {
        using var dir = new TempDirectory();
        var path = dir.File("m.safetensors");
        using var source = nn.Linear(3, 2);
        TensorWeights.Save(source, path);
        using var target = nn.Linear(3, 2);
        TensorWeights.Load(target, path);
        Assert.True(source.weight!.eq(target.weight!).all().item<bool>());
        Assert.True(source.bias!.eq(target.bias!).all().item<bool>());
    }

    public static TheoryData<string, byte[]> Broken => new()
    {
        { "shorter than the 8-byte header length", [1, 2, 3] },
        { "header length", [.. BitConverter.GetBytes(1000L), .. "{}"u8.ToArray()] },
        { "not valid JSON", [.. BitConverter.GetBytes(8L), .. "{oops!!}"u8.ToArray()] },
        { "lacks a valid dtype", [.. BitConverter.GetBytes(16L), .. "{\"x\":{}}        "u8.ToArray()] },
        { "does not match shape", Build("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4) },
        { "outside the file", Build("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}", 4) },
        { "unsupported dtype", Build("{\"x\":{\"dtype\":\"F8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1) },
        { "cover", Build("{\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 3) },
    };

    static byte[] Build(string header, int dataBytes)
    {
        var json = Encoding.UTF8.GetBytes(header);
        return [.. BitConverter.GetBytes((long)json.Length), .. json, .. new byte[dataBytes]];
    }

    [Theory]
    [MemberData(nameof(Broken))]
    public void Broken_files_are_refused_with_a_message_naming_the_file(string why, byte[] content)
    {
        using var dir = new TempDirectory();
        var path = dir.File("broken.safetensors");
        File.WriteAllBytes(path, content);
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(why, error.Message);
    }

    [Fact]
    public void Loading_into_a_different_model_names_the_mismatch()
    {
        using var dir = new TempDirectory();
        var path = dir.File("m.safetensors");
        using var source = nn.Linear(3, 2);
        TensorWeights.Save(source, path);
        using var other = nn.Linear(4, 2);
        var error = Assert.Throws<SafetensorsFormatException>(() => TensorWeights.Load(other, path));
        Assert.Contains("'weight' has shape [2, 3], the model expects [2, 4]", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_convolution_with_more_input_channels_is_widened_only_when_asked_the_new_channels_at_zero()
    {
        using var dir = new TempDirectory();
        var path = dir.File("conv.safetensors");
        using var narrow = nn.Conv2d(3, 2, 3);
        TensorWeights.Save(narrow, path);
        using var wide = nn.Conv2d(4, 2, 3);
        var error = Assert.Throws<SafetensorsFormatException>(() => TensorWeights.Load(wide, path));
        Assert.Contains("'weight' has shape [2, 3, 3, 3], the model expects [2, 4, 3, 3]", error.Message);

        Assert.Equal(["weight"], TensorWeights.Load(wide, path, widenInputs: true));
        Assert.True(wide.weight!.narrow(1, 0, 3).equal(narrow.weight!).all().item<bool>());
        Assert.Equal(0, wide.weight!.select(1, 3).abs().sum().item<float>());
        Assert.True(wide.bias!.equal(narrow.bias!).all().item<bool>());
        // Fewer channels than the file's, or another kernel size, is still a mismatch.
        using var narrower = nn.Conv2d(2, 2, 3);
        Assert.Throws<SafetensorsFormatException>(() => TensorWeights.Load(narrower, path, widenInputs: true));
        using var otherKernel = nn.Conv2d(4, 2, 5);
        Assert.Throws<SafetensorsFormatException>(() => TensorWeights.Load(otherKernel, path, widenInputs: true));
    }

    [Fact]
    public void Missing_file_is_named()
    {
        var error = Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Open("/nonexistent/x.safetensors"));
        Assert.Contains("/nonexistent/x.safetensors", error.Message);
    }
}
