using RefineWeb.Engine.Models;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Semantic;

/// <summary>How well a finished image matches its prompt and each emphasized phrase: cosine similarities in [-1, 1].</summary>
public sealed record AlignmentScores(double Prompt, IReadOnlyList<double> Phrases)
{
    /// <summary>
    /// The ranking score of best-of-N: the prompt's similarity, plus each phrase's weighted by how much it was
    /// emphasized (w - 1, the same weighting that guides sampling), so a candidate that shows the emphasized phrases
    /// wins among those that match the prompt equally.
    /// </summary>
    public double Combined(IReadOnlyList<double> weights) => Prompt + Phrases.Select((s, i) => (weights[i] - 1) * s).Sum();

    /// <summary>A layout's regions, in order: each region's prompt against what the region shows (<see cref="Regions.RegionCrops"/>); null without a layout.</summary>
    public IReadOnlyList<double>? Regions { get; init; }
}

/// <summary>Scores images against texts with the model's alignment model (clean images, timestep 0).</summary>
public sealed class AlignmentScorer(CascadeModel model)
{
    AlignmentModel Alignment => model.Alignment
        ?? throw new InvalidOperationException($"{model.Directory} has no alignment model to score images with.");

    public bool IsAvailable => model.Alignment is not null;

    /// <summary>Cosine similarity of each image [B, 3, H, W] with each of its own texts: [B][T_b].</summary>
    public double[][] Similarities(Tensor images, IReadOnlyList<IReadOnlyList<string>> textsPerImage)
    {
        if (textsPerImage.Count != images.shape[0]) throw new ArgumentException("One list of texts per image.");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var embeddings = Alignment.EncodeImage(images.to(model.Device), zeros([images.shape[0]], ScalarType.Int64, model.Device));
        var all = textsPerImage.SelectMany(t => t).ToList();
        if (all.Count == 0) return [.. textsPerImage.Select(_ => Array.Empty<double>())];
        var texts = Alignment.EncodeText(model.Tokenize(all));
        var result = new double[textsPerImage.Count][];
        int row = 0;
        for (int b = 0; b < textsPerImage.Count; b++)
        {
            int count = textsPerImage[b].Count;
            result[b] = count == 0 ? [] : [.. texts.narrow(0, row, count).matmul(embeddings[b]).cpu().data<float>().Select(v => (double)v)];
            row += count;
        }
        return result;
    }

    /// <summary>Each region's prompt against what the region of <paramref name="image"/> [3, S, S] shows: one similarity per region.</summary>
    public double[] RegionScores(Tensor image, IReadOnlyList<Regions.PromptRegion> regions)
    {
        using var scope = NewDisposeScope();
        var crops = Regions.RegionCrops.Of(image, regions);
        return [.. Similarities(crops, [.. regions.Select(r => (IReadOnlyList<string>)[r.Prompt])]).Select(s => s[0])];
    }

    /// <summary>Each image's similarity with the prompt (the model's plain text) and with each phrase.</summary>
    public IReadOnlyList<AlignmentScores> Score(Tensor images, IReadOnlyList<string> prompts, IReadOnlyList<IReadOnlyList<string>> phrases)
    {
        var similarities = Similarities(images, [.. prompts.Select((p, i) => (IReadOnlyList<string>)[p, .. phrases[i]])]);
        return [.. similarities.Select(s => new AlignmentScores(s[0], s[1..]))];
    }
}
