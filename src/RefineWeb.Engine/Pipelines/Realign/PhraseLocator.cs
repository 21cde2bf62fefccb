using RefineWeb.Engine.Models;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Realign;

/// <summary>
/// Where each phrase of a prompt shows in a finished picture, read from the base stage's cross-attention (RealignDiff
/// finds regions with dense captions and masks; this model has its own attention to ask): the picture is brought
/// to the base's size, noised to a few levels, denoised once with the prompt while an <see cref="AttentionProbe"/>
/// listens, and each phrase's tokens' mean attention is thresholded into a mask. Where phrases compete for a pixel,
/// the one attending most takes it.
/// </summary>
public sealed class PhraseLocator(CascadeModel model)
{
    /// <summary>Noise levels the picture is read at, as shares of the schedule: early enough to keep its layout, late enough to ask the words.</summary>
    public static readonly double[] Levels = [0.3, 0.5, 0.7];

    /// <summary>A position belongs to a phrase where the phrase's attention reaches this share of its own peak (DAAM binarizes at about 0.4).</summary>
    public const double Threshold = 0.4;

    /// <summary>
    /// One mask per phrase at <paramref name="size"/> x <paramref name="size"/> (row by row, true inside), grown by one
    /// base pixel so the refinement has room around the thing; a phrase whose tokens the tokenizer drops gets none (null).
    /// </summary>
    /// <param name="image">[3, S, S] in [-1, 1].</param>
    public IReadOnlyList<bool[]?> Locate(Tensor image, string plainPrompt, IReadOnlyList<EmphasizedPhrase> phrases, long seed, int size)
    {
        if (phrases.Count == 0) return [];
        var stage = model.Stages[0];
        int resolution = stage.Config.Resolution;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var probe = new AttentionProbe(resolution);
        var schedule = stage.Config.Schedule.Create();
        var clean = nn.functional.interpolate(image.unsqueeze(0).to(model.Device), [resolution, resolution], mode: InterpolationMode.Area);
        int rows = Levels.Length;
        using var generator = new Generator((ulong)seed, model.Device);
        var noise = randn([rows, 3, resolution, resolution], generator: generator, device: model.Device);
        var timesteps = tensor(Levels.Select(l => (long)Math.Round(l * (schedule.TrainTimesteps - 1))).ToArray(), device: model.Device);
        var noisy = schedule.AddNoise(clean.expand(rows, -1, -1, -1), noise, timesteps);
        var text = stage.EncodeText(model.Tokenize(Enumerable.Repeat(plainPrompt, rows)));
        FiniteForward.Run(() => stage.Denoise(new DenoiserInput(noisy, timesteps, text, Probe: probe)), $"Stage '{stage.Config.Name}'");
        var maps = probe.Maps()?.mean([0]) ?? throw new InvalidOperationException($"Stage '{stage.Config.Name}' has no cross-attention to locate phrases with.");

        var perPhrase = new List<Tensor?>();
        foreach (var phrase in phrases)
        {
            var positions = TokenEmphasis.Weights(model.Tokenizer, plainPrompt, [phrase with { Weight = 2 }])
                .Select((w, i) => (w, i)).Where(t => t.w == 2).Select(t => (long)t.i).ToArray();
            if (positions.Length == 0)
            {
                perPhrase.Add(null);
                continue;
            }
            var map = maps.index_select(0, tensor(positions, device: maps.device)).sum(dim: 0); // (a bare 0 would bind to the dtype overload)
            perPhrase.Add(map / map.max().AtLeast(1e-9));
        }
        var present = perPhrase.Where(m => m is not null).Select(m => m!).ToArray();
        var strongest = present.Length > 0 ? stack(present, 0).amax([0]) : null;
        return [.. perPhrase.Select(map => map is null ? null : Mask(map, strongest!, size))];
    }

    /// <summary>The phrase's positions (its attention at least <see cref="Threshold"/> of its peak and no other phrase's stronger), grown by one pixel, at <paramref name="size"/>.</summary>
    static bool[] Mask(Tensor normalized, Tensor strongest, int size)
    {
        using var threshold = Threshold.ToScalar(); // disposed here, not by the finalizer mid-call (see ScalarArguments)
        var inside = normalized.ge(threshold).logical_and(normalized.ge(strongest)).to_type(ScalarType.Float32);
        var grown = nn.functional.max_pool2d(inside.unsqueeze(0).unsqueeze(0), 3, stride: 1, padding: 1);
        var scaled = nn.functional.interpolate(grown, [size, size], mode: InterpolationMode.Nearest).view(size * size);
        return [.. scaled.cpu().data<float>().Select(v => v > 0.5f)];
    }
}
