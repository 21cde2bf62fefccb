using RefineWeb.Engine.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Models;

/// <summary>
/// Scores how well an image matches a caption (CLIP-style, small): cosine similarity of unit-length image and text
/// embeddings. The image side is told the diffusion timestep of its input (0 = clean), so it also scores partly
/// denoised images; this is the evaluation's R-precision scorer and the source of semantic guidance gradients.
/// </summary>
public sealed class AlignmentModel : nn.Module
{
    readonly TextEncoder text_encoder;
    readonly Linear text_projection;
    readonly Conv2d image_stem;
    readonly ModuleList<ResidualBlock> image_blocks;
    readonly ModuleList<Conv2d> image_downsamplers;
    readonly GroupNorm image_norm;
    readonly Linear image_projection;
    readonly Sequential time_embedding;
    readonly Parameter logit_scale;

    public AlignmentConfig Config { get; }

    public AlignmentModel(AlignmentConfig config) : base(config.Name)
    {
        config.Validate();
        Config = config;
        var channels = config.ImageChannels;
        int embedding = channels[0] * 4;
        text_encoder = new TextEncoder(config.TextEncoder);
        text_projection = nn.Linear(config.TextEncoder.Width, config.EmbeddingWidth);
        image_stem = nn.Conv2d(3, channels[0], 3, padding: 1);
        time_embedding = nn.Sequential(("fc1", nn.Linear(channels[0], embedding)), ("act", nn.SiLU()), ("fc2", nn.Linear(embedding, embedding)));
        image_blocks = nn.ModuleList(Enumerable.Range(0, channels.Length)
            .Select(i => new ResidualBlock($"block{i}", i == 0 ? channels[0] : channels[i - 1], channels[i], embedding, config.GroupNormGroups, 0)).ToArray());
        image_downsamplers = nn.ModuleList(Enumerable.Range(0, channels.Length - 1)
            .Select(i => nn.Conv2d(channels[i], channels[i], 3, stride: 2, padding: 1)).ToArray());
        image_norm = Normalization.Group(config.GroupNormGroups, channels[^1]);
        image_projection = nn.Linear(channels[^1], config.EmbeddingWidth);
        logit_scale = nn.Parameter(tensor((float)Math.Log(10.0)));
        RegisterComponents();
    }

    /// <summary>exp of the learned temperature: the scale of similarities in the contrastive loss.</summary>
    public Tensor LogitScale => logit_scale.exp().AtMost(100);

    /// <summary>Unit text embeddings [B, D] for token ids [B, L].</summary>
    public Tensor EncodeText(Tensor tokenIds) =>
        nn.functional.normalize(text_projection.call(text_encoder.call(tokenIds).Pooled), dim: 1);

    /// <summary>Unit image embeddings [B, D] for images [B, 3, H, W] in [-1, 1] at diffusion timesteps [B] (0 = clean).</summary>
    public Tensor EncodeImage(Tensor images, Tensor timesteps)
    {
        var x = ToInputResolution(images);
        var embedding = time_embedding.call(SinusoidalEmbedding.Of(timesteps, Config.ImageChannels[0]));
        x = image_stem.call(x);
        for (int i = 0; i < image_blocks.Count; i++)
        {
            x = image_blocks[i].call(x, embedding);
            if (i < image_downsamplers.Count) x = image_downsamplers[i].call(x);
        }
        x = nn.functional.silu(image_norm.call(x)).mean([2, 3]);
        return nn.functional.normalize(image_projection.call(x), dim: 1);
    }

    /// <summary>Average pooling down, bilinear up: differentiable, so guidance gradients flow back to any stage's image.</summary>
    Tensor ToInputResolution(Tensor images)
    {
        long side = images.shape[^1];
        int target = Config.InputResolution;
        if (side == target) return images;
        if (side > target && side % target == 0) return nn.functional.avg_pool2d(images, (int)(side / target), (int)(side / target));
        return nn.functional.interpolate(images, [target, target], mode: InterpolationMode.Bilinear, align_corners: false);
    }
}
