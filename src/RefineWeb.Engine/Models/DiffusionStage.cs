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

    /// <summary>
    /// Activation elements of the U-Net's first level per pass (rows x base channels x pixels) at most, when no
    /// gradient is needed. Past about 4 M (16 MB, twice that once the up path concatenates its skip), glibc hands every
    /// such tensor out as fresh mmap'd pages and each pass pays their page faults: measured on 2 cores, refiner256 with
    /// 4 rows took 1300 ms in one pass against 230-400 ms as 4 or 2 passes; refiner128 with 16 rows 2100 ms against 160
    /// ms for 8. Half that bound leaves room for the concatenations.
    /// </summary>
    public const long MaxFirstLevelElements = 1L << 21;

    /// <summary>Rows of one inference pass of this stage's U-Net (more are split into several passes).</summary>
    public long MaxRowsPerPass => Math.Max(1, MaxFirstLevelElements / ((long)Config.UNet.BaseChannels * Config.Resolution * Config.Resolution));

    /// <summary>The U-Net's prediction; without gradients a large batch runs in slices of <see cref="MaxRowsPerPass"/> rows (rows never mix, so the result is the same).</summary>
    public Tensor Denoise(DenoiserInput input, long? rowsPerPass = null)
    {
        long rows = input.Rows, slice = rowsPerPass ?? MaxRowsPerPass;
        if (rows <= slice || is_grad_enabled() || input.DeepCache is not null) return unet.call(input); // a cache holds one pass's rows
        var parts = new List<Tensor>();
        for (long start = 0; start < rows; start += slice) parts.Add(unet.call(input.Slice(start, Math.Min(slice, rows - start))));
        return cat(parts, 0);
    }
}
