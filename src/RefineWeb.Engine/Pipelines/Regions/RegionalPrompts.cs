using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Regions;

/// <summary>
/// Prompts by region (MultiDiffusion's idea at the level of one denoising step, Bar-Tal et al. 2023): every step
/// predicts the noise once per prompt, the global prompt's and each region's, over the same sample in one batch, and
/// each pixel takes the guided prediction of the prompt whose region it lies in; pixels outside every region take the
/// global prompt's. Where regions overlap the later one wins. Works the same at every stage, attention or not (the
/// refiners above 64 px see only a pooled text embedding), so a region's prompt reaches its pixels all the way up.
/// </summary>
public sealed class RegionalPrompts(IReadOnlyList<PromptRegion> regions)
{
    public IReadOnlyList<PromptRegion> Regions { get; } = regions.Count > 0 ? regions : throw new ArgumentException("At least one region.", nameof(regions));

    /// <summary>Conditional predictions per sample: the global prompt's, then each region's.</summary>
    public int Prompts => Regions.Count + 1;

    /// <summary>
    /// Unconditional predictions per sample: one (the request's negative prompt, shared) unless a region has a negative
    /// prompt of its own; then one per prompt, in the same order (a region without one takes the request's).
    /// </summary>
    public int Negatives => Regions.Any(r => r.NegativePrompt is not null) ? Prompts : 1;

    /// <summary>
    /// Each token row's share of cross-attention per token when any prompt (the global one per item, or a region's)
    /// emphasizes words: [(Prompts + Negatives) B, L] in the order of the token rows (the global prompts, each region's,
    /// then the unconditional ones at 1); null when nothing is emphasized.
    /// </summary>
    public Tensor? TokenWeights(Text.WordTokenizer tokenizer, IReadOnlyList<string> itemPrompts, IReadOnlyList<IReadOnlyList<Text.EmphasizedPhrase>>? itemEmphasis, Device device)
    {
        bool emphasized = Regions.Any(r => r.Emphasis.Any(p => p.Weight != 1)) || itemEmphasis?.Any(phrases => phrases.Any(p => p.Weight != 1)) == true;
        if (!emphasized) return null;
        int batch = itemPrompts.Count;
        var plain = Enumerable.Repeat(1f, tokenizer.MaxLength).ToArray();
        var rows = itemPrompts.Select((prompt, i) => Text.TokenEmphasis.Weights(tokenizer, prompt, itemEmphasis?[i] ?? []))
            .Concat(Regions.SelectMany(region => Enumerable.Repeat(Text.TokenEmphasis.Weights(tokenizer, region.Prompt, region.Emphasis), batch)))
            .Concat(Enumerable.Repeat(plain, Negatives * batch));
        return tensor(rows.SelectMany(r => r).ToArray(), [(Prompts + Negatives) * batch, tokenizer.MaxLength], device: device);
    }

    /// <summary>
    /// Each prompt's share of every pixel at <paramref name="resolution"/>: [Prompts, 1, 1, H, W], one-hot along the
    /// first axis (the global prompt first, taking what no region covers).
    /// </summary>
    public Tensor Masks(int resolution, Device device)
    {
        using var scope = NewDisposeScope();
        var covered = zeros(resolution, resolution, device: device);
        var own = new Tensor[Regions.Count];
        for (int r = Regions.Count - 1; r >= 0; r--) // later regions first: what they cover is theirs
        {
            own[r] = Regions[r].MaskAt(resolution, device) * covered.SubtractedFrom(1);
            covered = covered.Plus(own[r]);
        }
        return stack([covered.SubtractedFrom(1), .. own], 0).view(Prompts, 1, 1, resolution, resolution).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Each row's layout for a network with a layout channel (<see cref="Models.UNetConfig.LayoutChannels"/>):
    /// [(Prompts + <paramref name="negatives"/>) B, 1, r, r] in the order of the rows. A region's rows are its whole region
    /// (where it overlaps a later one too: it draws there, and the blend keeps the later one's); the global prompt's and
    /// the unconditional rows are the whole picture.
    /// </summary>
    public Tensor LayoutRows(int resolution, int batch, int negatives, Device device)
    {
        using var scope = NewDisposeScope();
        var whole = ones(1, 1, resolution, resolution, device: device);
        var rows = new[] { whole }.Concat(Regions.Select(r => r.MaskAt(resolution, device).view(1, 1, resolution, resolution)))
            .Concat(Enumerable.Repeat(whole, negatives))
            .Select(mask => mask.expand(batch, 1, resolution, resolution));
        return cat(rows.ToArray(), 0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Blends a step's predictions into one: <paramref name="output"/> is [(Prompts + N) B, ...] laid out as the
    /// prompts' conditional rows (B each, global first) then N x B unconditional rows when <paramref name="guided"/>
    /// (N = <paramref name="negatives"/>: 1 shared, or one per prompt in the same order), else [Prompts B, ...]
    /// conditional rows only. Returns [B, ...].
    /// </summary>
    /// <param name="weights">Each region's weight, in order (null or all 1: each region's prediction as it is): a region's
    /// pixels take the global prediction plus its weight times the difference its own prompt makes (below 1 its prompt
    /// mixes with the global one, above 1 it is pushed further).</param>
    public static Tensor Blend(Tensor output, Tensor masks, int batch, double guidanceScale, bool guided, IReadOnlyList<double>? weights = null, int negatives = 1)
    {
        using var scope = NewDisposeScope();
        long prompts = masks.shape[0];
        var rows = output.view([prompts + (guided ? negatives : 0), batch, .. output.shape.Skip(1)]);
        var conditional = rows.narrow(0, 0, prompts);
        var predictions = !guided ? conditional
            : Schedulers.ClassifierFreeGuidance.Combine(conditional, negatives == 1 ? rows[prompts].unsqueeze(0) : rows.narrow(0, prompts, prompts), guidanceScale);
        if (weights is not null && weights.Any(w => w != 1))
        {
            var global = predictions[0];
            // A weight of 1 keeps the region's own prediction untouched (the same bytes as no weight at all).
            predictions = stack([global, .. weights.Select((w, r) => w == 1 ? predictions[r + 1] : global.Plus((predictions[r + 1] - global).Times(w)))], 0);
        }
        return (predictions * masks).sum([0]).MoveToOuterDisposeScope(); // sum([0]), not sum(0): a bare 0 binds to the dtype overload
    }

    /// <summary>Each region's weight, in order.</summary>
    public IReadOnlyList<double> Weights => [.. Regions.Select(r => r.Weight)];
}
