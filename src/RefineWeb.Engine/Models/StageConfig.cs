using System.Text.Json;
using System.Text.Json.Serialization;
using RefineWeb.Engine.Schedulers;

namespace RefineWeb.Engine.Models;

/// <summary>The noise process a stage was trained with.</summary>
public sealed record ScheduleConfig
{
    public BetaSchedule BetaSchedule { get; init; } = BetaSchedule.Cosine;
    public int TrainTimesteps { get; init; } = 1000;
    public PredictionType Prediction { get; init; } = PredictionType.VPrediction;

    public NoiseSchedule Create() => new(BetaSchedule, TrainTimesteps, Prediction);
}

/// <summary>
/// One stage of the cascade (its JSON file beside its safetensors): the networks' shapes, the noise schedule, and the
/// sampling defaults. A refiner stage also says at what noise level it sees the stage below (augmentation).
/// </summary>
public sealed record StageConfig
{
    public string Name { get; init; } = "base";
    public int Resolution { get; init; } = 16;
    public TextEncoderConfig TextEncoder { get; init; } = new();
    public UNetConfig UNet { get; init; } = new();
    public ScheduleConfig Schedule { get; init; } = new();
    public int DefaultSteps { get; init; } = 20;
    public double DefaultGuidanceScale { get; init; } = 3.0;
    /// <summary>Timestep at which the lower-resolution input is noised at inference (refiners only).</summary>
    public int LowResolutionNoiseLevel { get; init; } = 100;
    /// <summary>
    /// Refiners only: sampling starts from the upsampled lower stage noised to this share of the schedule and runs that
    /// share of <see cref="DefaultSteps"/> (SDEdit-style progressive refinement); 1 starts from pure noise.
    /// </summary>
    public double RefinerStartStrength { get; init; } = 1.0;
    /// <summary>
    /// Refiners only: when positive, the stage denoises the residual (image - bicubic upsampling of the stage below)
    /// times this factor instead of the image, so that doing nothing already gives bicubic and training goes to the
    /// missing detail (residual SR, as in SR3/ResShift); the factor brings the residual to about unit scale.
    /// 0 denoises the image itself.
    /// </summary>
    public double ResidualScale { get; init; }

    [JsonIgnore]
    public bool DenoisesResidual => UNet.IsRefiner && ResidualScale > 0;

    public void Validate()
    {
        TextEncoder.Validate();
        UNet.Validate();
        TextEncoderConfig.Require(Resolution > 0 && Resolution % UNet.SizeMultiple == 0, $"resolution must be a positive multiple of {UNet.SizeMultiple}");
        TextEncoderConfig.Require(UNet.TextWidth == TextEncoder.Width, "unet.text_width must equal text_encoder.width");
        TextEncoderConfig.Require(DefaultSteps >= 1 && DefaultSteps <= Schedule.TrainTimesteps, "default_steps must be between 1 and train_timesteps");
        TextEncoderConfig.Require(RefinerStartStrength is > 0 and <= 1, "refiner_start_strength must be in (0, 1]");
        TextEncoderConfig.Require(ResidualScale >= 0 && (ResidualScale == 0 || UNet.IsRefiner), "residual_scale must be 0, or positive on a refiner");
        TextEncoderConfig.Require(LowResolutionNoiseLevel >= 0 && LowResolutionNoiseLevel < Schedule.TrainTimesteps, "low_resolution_noise_level must be a training timestep");
    }

    public static StageConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Stage config not found: {path}", path);
        StageConfig config;
        try
        {
            config = JsonSerializer.Deserialize<StageConfig>(File.ReadAllText(path), ModelJson.Options)
                ?? throw new InvalidDataException($"{path} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a valid stage config: {e.Message}", e);
        }
        try
        {
            config.Validate();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        return config;
    }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, ModelJson.Options));
}
