using System.Text.Json;

namespace RefineWeb.Engine.Models;

/// <summary>
/// The alignment model's shape (align.json): a text encoder and a timestep-aware convolutional image encoder that
/// map captions and (possibly noisy) images into one embedding space, trained contrastively.
/// </summary>
public sealed record AlignmentConfig
{
    public string Name { get; init; } = "align";
    public TextEncoderConfig TextEncoder { get; init; } = new();
    /// <summary>Every image is resized to this side first, so one encoder scores 16, 32 and 64 px images.</summary>
    public int InputResolution { get; init; } = 32;
    /// <summary>Channels of the encoder's stages; each stage after the first halves the resolution.</summary>
    public int[] ImageChannels { get; init; } = [32, 64, 128, 256];
    public int EmbeddingWidth { get; init; } = 128;
    public int GroupNormGroups { get; init; } = 8;
    public int TrainTimesteps { get; init; } = 1000;

    public void Validate()
    {
        TextEncoder.Validate();
        TextEncoderConfig.Require(ImageChannels.Length >= 1 && ImageChannels.All(c => c > 0 && c % GroupNormGroups == 0), "image_channels must be positive multiples of group_norm_groups");
        TextEncoderConfig.Require(InputResolution >> (ImageChannels.Length - 1) >= 1, "input_resolution is too small for that many image stages");
        TextEncoderConfig.Require(EmbeddingWidth > 0, "embedding_width must be positive");
    }

    public static AlignmentConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Alignment model config not found: {path}", path);
        try
        {
            var config = JsonSerializer.Deserialize<AlignmentConfig>(File.ReadAllText(path), ModelJson.Options)
                ?? throw new InvalidDataException($"{path} is empty.");
            config.Validate();
            return config;
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, ModelJson.Options));
}
