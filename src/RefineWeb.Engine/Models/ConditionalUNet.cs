using RefineWeb.Engine.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Models;

/// <summary>
/// Text-conditioned U-Net denoiser, fully convolutional apart from attention at the coarse levels, so one set of
/// weights serves any input side that is a multiple of <see cref="UNetConfig.SizeMultiple"/> (refiners train on
/// random crops and run on whole images). As a refiner (<see cref="UNetConfig.IsRefiner"/>) it also takes the
/// upsampled output of the stage below, concatenated to its input, and that image's augmentation noise level,
/// embedded like the timestep (cascaded diffusion's noise-conditioning augmentation). Without attention levels the
/// prompt reaches the network only through its pooled embedding, added to the timestep's. With a layout channel
/// (<see cref="UNetConfig.LayoutChannels"/>) it is told where the row's prompt goes, as one more input channel.
/// </summary>
public sealed class ConditionalUNet : nn.Module<DenoiserInput, Tensor>
{
    readonly Conv2d conv_in, conv_out;
    readonly Sequential time_embedding, text_embedding;
    readonly Sequential? noise_level_embedding;
    readonly ModuleList<UNetLevel> down_levels, up_levels;
    readonly ModuleList<Conv2d> downsamplers, upsamplers;
    readonly UNetLevel middle;
    readonly GroupNorm norm_out;

    public UNetConfig Config { get; }

    public ConditionalUNet(UNetConfig config) : base(nameof(ConditionalUNet))
    {
        config.Validate();
        Config = config;
        int embedding = config.TimeEmbeddingWidth;
        var channels = config.ChannelMultipliers.Select(m => config.BaseChannels * m).ToArray();
        int levels = channels.Length;

        conv_in = nn.Conv2d(config.ImageChannels + config.ConditionChannels + config.LayoutChannels, channels[0], 3, padding: 1);
        time_embedding = Mlp(config.BaseChannels, embedding);
        text_embedding = Mlp(config.TextWidth, embedding);
        noise_level_embedding = config.IsRefiner ? Mlp(config.BaseChannels, embedding) : null;

        down_levels = nn.ModuleList(Enumerable.Range(0, levels).Select(l => new UNetLevel($"down{l}",
            l == 0 ? channels[0] : channels[l - 1], channels[l], config.ResBlocksPerLevel,
            config.AttentionLevels.Contains(l), config)).ToArray());
        downsamplers = nn.ModuleList(Enumerable.Range(0, levels - 1)
            .Select(l => nn.Conv2d(channels[l], channels[l], 3, stride: 2, padding: 1)).ToArray());
        middle = new UNetLevel("middle", channels[^1], channels[^1], 2, config.MiddleAttention, config);
        up_levels = nn.ModuleList(Enumerable.Range(0, levels).Select(l => new UNetLevel($"up{l}",
            (l == levels - 1 ? channels[l] : channels[l + 1]) + channels[l], channels[l], config.ResBlocksPerLevel,
            config.AttentionLevels.Contains(l), config)).ToArray());
        upsamplers = nn.ModuleList(Enumerable.Range(0, levels - 1)
            .Select(l => nn.Conv2d(channels[l + 1], channels[l + 1], 3, padding: 1)).ToArray());
        norm_out = Normalization.Group(config.GroupNormGroups, channels[0]);
        conv_out = nn.Conv2d(channels[0], config.ImageChannels, 3, padding: 1);
        RegisterComponents();
        using (no_grad())
        {
            conv_out.weight!.zero_();
            conv_out.bias!.zero_();
        }
    }

    static Sequential Mlp(int input, int output) =>
        nn.Sequential(("fc1", nn.Linear(input, output)), ("act", nn.SiLU()), ("fc2", nn.Linear(output, output)));

    public override Tensor forward(DenoiserInput input)
    {
        var sample = input.Sample;
        if (sample.shape[2] % Config.SizeMultiple != 0 || sample.shape[3] % Config.SizeMultiple != 0)
            throw new ArgumentException($"Image sides must be multiples of {Config.SizeMultiple}; got {sample.shape[2]}x{sample.shape[3]}.");

        var embedding = time_embedding.call(SinusoidalEmbedding.Of(input.Timesteps, Config.BaseChannels))
            .Plus(text_embedding.call(input.Text.Pooled));
        if (noise_level_embedding is not null)
        {
            if (input.LowResolution is null || input.LowResolutionNoiseLevel is null)
                throw new ArgumentException("A refiner needs the upsampled lower-resolution image and its noise level.");
            embedding = embedding.Plus(noise_level_embedding.call(SinusoidalEmbedding.Of(input.LowResolutionNoiseLevel, Config.BaseChannels)));
            sample = cat([sample, input.LowResolution], 1);
        }
        if (Config.LayoutChannels > 0)
            sample = cat([sample, input.Layout ?? ones(sample.shape[0], 1, sample.shape[2], sample.shape[3], device: sample.device)], 1);
        var conditioning = new Conditioning(embedding, input.Text.Tokens, input.Text.Mask, input.TokenWeights, input.Probe);

        var h = conv_in.call(sample);
        if (down_levels.Count > 1 && input.DeepCache?.For(sample.shape[0]) is { } deep)
        {
            // DeepCache: the finest level down, then up from the kept deep features.
            var finest = down_levels[0].call(h, conditioning);
            h = up_levels[0].call(cat([deep, finest], 1), conditioning);
            return OutputConvolution(nn.functional.silu(norm_out.call(h)));
        }
        var skips = new List<Tensor>();
        for (int l = 0; l < down_levels.Count; l++)
        {
            h = down_levels[l].call(h, conditioning);
            skips.Add(h);
            if (l < downsamplers.Count) h = downsamplers[l].call(h);
        }
        h = middle.call(h, conditioning);
        for (int l = up_levels.Count - 1; l >= 0; l--)
        {
            if (l == 0) input.DeepCache?.Keep(h);
            h = up_levels[l].call(cat([h, skips[l]], 1), conditioning);
            if (l > 0) h = upsamplers[l - 1].call(nn.functional.interpolate(h, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest));
        }
        return OutputConvolution(nn.functional.silu(norm_out.call(h)));
    }

    /// <summary>
    /// The last 3x3 convolution (to the image's few channels). When gradients are needed it runs as im2col + matmul:
    /// libtorch 2.10's oneDNN backward for 3x3 convolutions with so few output channels intermittently returns NaN
    /// input gradients on x86-64 CPUs (measured: a few in a hundred calls); the same math through unfold is exact.
    /// </summary>
    Tensor OutputConvolution(Tensor h)
    {
        if (!h.requires_grad) return conv_out.call(h);
        long batch = h.shape[0], height = h.shape[2], width = h.shape[3];
        var columns = nn.functional.unfold(h, 3, padding: 1); // [B, C*9, H*W]
        var weight = conv_out.weight!.view(conv_out.weight.shape[0], -1); // [out, C*9]
        var output = weight.matmul(columns).Plus(conv_out.bias!.view(1, -1, 1));
        return output.view(batch, -1, height, width);
    }
}
