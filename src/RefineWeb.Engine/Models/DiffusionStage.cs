using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Models;

/// <summary>
/// One cascade stage's networks: its own text encoder and its U-Net, trained together. Their state-dict keys
/// ("text_encoder.*", "unet.*") are the safetensors keys of the stage's weights file.
/// </summary>
public sealed class DiffusionStage : nn.Module
{
    readonly TextEncoder text_encoder;
    readonly ConditionalUNet unet;

    public StageConfig Config { get; }
    public TextEncoder TextEncoder => text_encoder;
    public ConditionalUNet UNet => unet;

    public DiffusionStage(StageConfig config) : base(config.Name)
    {
        config.Validate();
        Config = config;
        text_encoder = new TextEncoder(config.TextEncoder);
        unet = new ConditionalUNet(config.UNet);
        RegisterComponents();
    }

    public TextEncoding EncodeText(Tensor tokenIds) => text_encoder.call(tokenIds);

    public Tensor Denoise(DenoiserInput input) => unet.call(input);
}
