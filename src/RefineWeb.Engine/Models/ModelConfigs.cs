using System.Text.Json;
using System.Text.Json.Serialization;

namespace RefineWeb.Engine.Models;

/// <summary>Shape of the text encoder: a small pre-norm Transformer over word tokens.</summary>
public sealed record TextEncoderConfig
{
    public int VocabularySize { get; init; } = 4096;
    public int MaxLength { get; init; } = 24;
    public int Width { get; init; } = 128;
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 4;

    public void Validate()
    {
        Require(VocabularySize >= 5, "vocabulary_size must be at least 5 (4 special tokens and a word)");
        Require(MaxLength >= 3, "max_length must be at least 3");
        Require(Width > 0 && Heads > 0 && Width % Heads == 0, "width must be a positive multiple of heads");
        Require(Layers >= 1, "layers must be at least 1");
    }

    internal static void Require(bool condition, string message)
    {
        if (!condition) throw new InvalidDataException($"Invalid model config: {message}.");
    }
}

/// <summary>
/// Shape of a text-conditioned U-Net. <see cref="ConditionChannels"/> &gt; 0 makes it a refiner that also sees the
/// upsampled output of the stage below, with its own noise-augmentation level embedded like the timestep.
/// </summary>
public sealed record UNetConfig
{
    public int ImageChannels { get; init; } = 3;
    public int ConditionChannels { get; init; }
    /// <summary>
    /// 1: the network also takes a layout channel, 1 where the row's prompt should be drawn and 0 elsewhere (Cascaded
    /// Refinement Networks condition on a layout the same way, as input channels); the whole picture when none is given.
    /// </summary>
    public int LayoutChannels { get; init; }
    public int BaseChannels { get; init; } = 64;
    public int[] ChannelMultipliers { get; init; } = [1, 2, 2];
    public int ResBlocksPerLevel { get; init; } = 1;
    /// <summary>Levels (0 = full resolution) that get self- and cross-attention; keep them coarse.</summary>
    public int[] AttentionLevels { get; init; } = [1, 2];
    /// <summary>
    /// Whether the middle (coarsest) block attends. Off for refiners at 128 px and above: there the middle still works
    /// on thousands of positions, where self-attention would cost more than the rest of the network (and a fully
    /// convolutional net behaves the same on training crops and whole images).
    /// </summary>
    public bool MiddleAttention { get; init; } = true;
    public int AttentionHeads { get; init; } = 4;
    public int TextWidth { get; init; } = 128;
    public int GroupNormGroups { get; init; } = 8;
    public double Dropout { get; init; }

    public bool IsRefiner => ConditionChannels > 0;
    public int TimeEmbeddingWidth => BaseChannels * 4;
    /// <summary>Input sides must be multiples of this (one halving per level below the first).</summary>
    public int SizeMultiple => 1 << (ChannelMultipliers.Length - 1);

    public void Validate()
    {
        TextEncoderConfig.Require(ImageChannels > 0 && ConditionChannels >= 0, "image_channels must be positive and condition_channels not negative");
        TextEncoderConfig.Require(ChannelMultipliers.Length >= 1 && ChannelMultipliers.All(m => m > 0), "channel_multipliers must be positive");
        TextEncoderConfig.Require(ChannelMultipliers.All(m => BaseChannels * m % GroupNormGroups == 0), "every level's channels must be a multiple of group_norm_groups");
        TextEncoderConfig.Require(AttentionLevels.All(l => l >= 0 && l < ChannelMultipliers.Length), "attention_levels must name existing levels");
        TextEncoderConfig.Require(ChannelMultipliers.All(m => BaseChannels * m % AttentionHeads == 0), "every level's channels must be a multiple of attention_heads");
        TextEncoderConfig.Require(ResBlocksPerLevel >= 1, "res_blocks_per_level must be at least 1");
        TextEncoderConfig.Require(LayoutChannels is 0 or 1, "layout_channels must be 0 or 1");
    }
}

/// <summary>The JSON options every model file uses: snake_case names, enums as strings, unknown fields refused.</summary>
public static class ModelJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
    };
}
