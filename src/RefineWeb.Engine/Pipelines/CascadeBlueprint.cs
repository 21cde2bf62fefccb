using RefineWeb.Engine.Models;
using RefineWeb.Engine.Text;
using RefineWeb.Engine.Weights;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines;

/// <summary>Writes a new model folder (manifest, vocabulary, stage configs, seeded initial weights): the trainer's starting point.</summary>
public static class CascadeBlueprint
{
    // Residual scales of the 128 and 256 px refiners: the residual over bicubic has an RMS of 0.062 at 64 -> 128 px
    // and 0.039 at 128 -> 256 px on the vector art (600 images), brought to about 0.5 as for the smaller refiners.
    const double Residual128 = 8, Residual256 = 12;

    /// <summary>The stage configs of a preset (emoji: 16 -> 256 px in five stages; tiny: 16 -> 64 px in three) for a vocabulary of <paramref name="vocabularySize"/> words.</summary>
    public static IReadOnlyList<StageConfig> Stages(CascadePreset preset, int vocabularySize)
    {
        bool tiny = preset == CascadePreset.Tiny;
        var text = new TextEncoderConfig
        {
            VocabularySize = vocabularySize,
            MaxLength = 24,
            Width = tiny ? 32 : 128,
            Layers = tiny ? 1 : 2,
            Heads = tiny ? 2 : 4,
        };
        var small = text with { Width = 64, Layers = 1 };
        UNetConfig UNet(int baseChannels, int[] multipliers, int[] attention, int conditionChannels, bool middleAttention = true) => new()
        {
            MiddleAttention = middleAttention,
            BaseChannels = tiny ? 16 : baseChannels,
            ChannelMultipliers = multipliers,
            AttentionLevels = attention,
            AttentionHeads = tiny ? 2 : 4,
            TextWidth = text.Width,
            GroupNormGroups = 8,
            ConditionChannels = conditionChannels,
        };
        List<StageConfig> stages =
        [
            new StageConfig { Name = "base", Resolution = 16, TextEncoder = text, UNet = UNet(64, [1, 2, 2], [1, 2], 0), DefaultSteps = tiny ? 4 : 20, DefaultGuidanceScale = 3.0 },
            // The emoji refiners denoise the residual over bicubic (scaled to about unit variance: measured RMS
            // 0.128 at 16 -> 32 px and 0.073 at 32 -> 64 px in [-1, 1] units); the tiny test preset keeps plain refiners.
            new StageConfig { Name = "refiner32", Resolution = 32, TextEncoder = text, UNet = UNet(32, [1, 2, 2], [2], 3), DefaultSteps = tiny ? 3 : 2, DefaultGuidanceScale = 2.0, LowResolutionNoiseLevel = 100, ResidualScale = tiny ? 0 : 4 },
            new StageConfig { Name = "refiner64", Resolution = 64, TextEncoder = text, UNet = UNet(32, [1, 1, 2], [2], 3), DefaultSteps = tiny ? 3 : 2, DefaultGuidanceScale = 1.5, LowResolutionNoiseLevel = 50, ResidualScale = tiny ? 0 : 6 },
        ];
        // The tiny test preset stays at three stages (16 -> 64 px): fast, and the shape of a user's own smaller model.
        if (tiny) return stages;
        stages.AddRange(
        [
            // 128 and 256 px: sized for speed (fully convolutional, guidance 1 = one pass per step, fewer channels at
            // 256), with a small text encoder of their own whose pooled embedding is their only view of the prompt.
            new StageConfig { Name = "refiner128", Resolution = 128, TextEncoder = small, UNet = UNet(24, [1, 2, 2], [], 3, middleAttention: false) with { TextWidth = small.Width }, DefaultSteps = 2, DefaultGuidanceScale = 1, LowResolutionNoiseLevel = 50, ResidualScale = Residual128 },
            new StageConfig { Name = "refiner256", Resolution = 256, TextEncoder = small, UNet = UNet(16, [1, 2, 4], [], 3, middleAttention: false) with { TextWidth = small.Width }, DefaultSteps = 1, DefaultGuidanceScale = 1, LowResolutionNoiseLevel = 50, ResidualScale = Residual256 },
        ]);
        return stages;
    }

    /// <summary>The alignment model's config: a text encoder like the stages' and a small image encoder.</summary>
    public static AlignmentConfig Alignment(CascadePreset preset, TextEncoderConfig text) => preset == CascadePreset.Tiny
        ? new AlignmentConfig { TextEncoder = text, ImageChannels = [16, 32], InputResolution = 16, EmbeddingWidth = 32 }
        : new AlignmentConfig { TextEncoder = text };

    /// <summary>Creates <paramref name="directory"/> with every file a <see cref="CascadeModel"/> loads.</summary>
    public static CascadeManifest Write(string directory, IReadOnlyList<string> vocabulary, CascadePreset preset, long seed = 0, string name = "emoji-cascade-v1")
    {
        Directory.CreateDirectory(directory);
        var manifest = new CascadeManifest { Name = name };
        var stages = Stages(preset, vocabulary.Count);
        WordTokenizer.SaveVocabulary(vocabulary, Path.Combine(directory, manifest.Tokenizer));
        manual_seed(seed);
        foreach (var config in stages)
        {
            config.Save(CascadeManifest.StageConfigPath(directory, config.Name));
            using var stage = new DiffusionStage(config);
            TensorWeights.Save(stage, CascadeManifest.StageWeightsPath(directory, config.Name),
                new Dictionary<string, string> { ["stage"] = config.Name, ["trained_steps"] = "0" });
        }
        var alignment = Alignment(preset, text: stages[0].TextEncoder);
        alignment.Save(CascadeManifest.StageConfigPath(directory, alignment.Name));
        using (var model = new AlignmentModel(alignment))
            TensorWeights.Save(model, CascadeManifest.StageWeightsPath(directory, alignment.Name),
                new Dictionary<string, string> { ["stage"] = alignment.Name, ["trained_steps"] = "0" });
        manifest = manifest with { Stages = [.. stages.Select(s => s.Name)], Alignment = alignment.Name };
        manifest.Save(directory);
        return manifest;
    }
}
