using RefineWeb.Engine.Models;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Semantic;

/// <summary>
/// Semantic-induced gradient (SeReDiff eq. 10) for a batch: for each image, the gradient with respect to the image of
/// sum_p (w_p - 1) * f(x) . e_p, where f is the alignment model's image embedding and e_p the phrase's target (its
/// text embedding, joined with the reference images retrieved for it). Weights above 1 pull towards a phrase,
/// below 1 push away, exactly 1 does nothing; several phrases add their gradients (eq. 9), so they steer one
/// generation together. The gradient is scaled by (H / alignment input size)^2 so that it has the same size per
/// pixel at every stage (the encoder's average pooling divides it by that).
/// </summary>
public sealed class SemanticGuide : IDisposable
{
    public const int ReferencesPerPhrase = 8;

    readonly AlignmentModel alignment;
    readonly Tensor targets;      // [B, P, D]
    readonly Tensor coefficients; // [B, P]

    /// <summary>[B, 1, 1, 1]: items with a phrase to steer by; the others' steps are left exactly as they were.</summary>
    public Tensor Active { get; }

    /// <summary>Strength of the step: how far the clean-image estimate moves per unit gradient at full noise.</summary>
    public double Scale { get; }

    SemanticGuide(AlignmentModel alignment, Tensor targets, Tensor coefficients, Tensor active, double scale)
    {
        this.alignment = alignment;
        this.targets = targets;
        this.coefficients = coefficients;
        Active = active;
        Scale = scale;
    }

    /// <summary>
    /// The guide for a batch with the given phrases per item, or null when nothing would change (no alignment
    /// model, scale 0, or every weight 1).
    /// </summary>
    public static SemanticGuide? Create(CascadeModel model, IReadOnlyList<IReadOnlyList<EmphasizedPhrase>> phrasesPerItem, double scale)
    {
        if (model.Alignment is not { } alignment || scale == 0) return null;
        if (!phrasesPerItem.Any(phrases => phrases.Any(p => p.Weight != 1))) return null;
        int batch = phrasesPerItem.Count, width = phrasesPerItem.Max(p => p.Count);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var texts = phrasesPerItem.SelectMany(p => p).Select(p => p.Text).ToList();
        var phraseTargets = Targets(model, alignment, texts);
        var gathered = zeros([batch, width, alignment.Config.EmbeddingWidth], device: model.Device);
        var weights = new float[batch * width];
        int row = 0;
        for (int b = 0; b < batch; b++)
            for (int p = 0; p < phrasesPerItem[b].Count; p++, row++)
            {
                gathered[b, p] = phraseTargets[row];
                weights[b * width + p] = (float)(phrasesPerItem[b][p].Weight - 1);
            }
        var coefficients = tensor(weights, [batch, width], device: model.Device);
        var active = coefficients.abs().sum(1).GreaterThan(0).view(-1, 1, 1, 1);
        return new SemanticGuide(alignment, gathered.MoveToOuterDisposeScope(), coefficients.MoveToOuterDisposeScope(), active.MoveToOuterDisposeScope(), scale);
    }

    /// <summary>Unit targets [P, D]: the phrase's text embedding plus the mean of its retrieved reference images.</summary>
    public static Tensor Targets(CascadeModel model, AlignmentModel alignment, IReadOnlyList<string> phrases)
    {
        using var scope = NewDisposeScope();
        var text = alignment.EncodeText(model.Tokenize(phrases));
        var target = model.References is { } index ? nn.functional.normalize(text + index.Retrieve(text, ReferencesPerPhrase), dim: 1) : text;
        return target.MoveToOuterDisposeScope();
    }

    /// <summary>The weighted alignment of each image [B, 3, H, W] with its phrases: sum_p (w_p - 1) f(x) . e_p, [B].</summary>
    public Tensor Score(Tensor images)
    {
        var embeddings = alignment.EncodeImage(images, zeros([images.shape[0]], ScalarType.Int64, images.device));
        return (targets.matmul(embeddings.unsqueeze(-1)).squeeze(-1) * coefficients).sum(1);
    }

    /// <summary>The semantic-induced gradient with respect to the images [B, 3, H, W] (scaled per pixel, see class).</summary>
    public Tensor Gradient(Tensor images)
    {
        using var grad = enable_grad();
        using var scope = NewDisposeScope();
        var input = images.detach().requires_grad_(true);
        var score = Score(input).sum();
        var gradient = autograd.grad([score], [input])[0];
        double perPixel = Math.Pow((double)images.shape[^1] / alignment.Config.InputResolution, 2);
        return (gradient * perPixel).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        targets.Dispose();
        coefficients.Dispose();
        Active.Dispose();
    }
}
