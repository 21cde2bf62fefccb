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
/// pixel at every stage (the encoder's average pooling divides it by that). Given the plain prompts, it keeps each
/// image's alignment with its prompt to first order: where the phrase gradient g and the prompt's gradient q point
/// against each other, g loses its component along q (g - min(0, g.q) / |q|^2 q), so emphasis adds the phrase
/// without trading the rest of the prompt for it. An anchor above 0 also adds that share of the kept text's own
/// gradient, in brightness only, so the kept words hold the shape while the phrase pulls (as if they were emphasized
/// too, eq. 9, but colour-blind): "(blue:1.5) apple" then colours an apple instead of drawing the blue things the
/// alignment model knows best (hearts, circles).
/// </summary>
public sealed class SemanticGuide : IDisposable
{
    public const int ReferencesPerPhrase = 8;

    readonly AlignmentModel alignment;
    readonly Tensor targets;      // [B, P, D]
    readonly Tensor coefficients; // [B, P]
    readonly Tensor? prompts;     // [B, D]: the plain prompts' text embeddings, where the prompt is kept
    readonly Tensor? keepsPrompt; // [B]: 1 for images whose phrases are all emphasized, 0 where one is pushed away
    readonly double anchor;

    /// <summary>[B, 1, 1, 1]: items with a phrase to steer by; the others' steps are left exactly as they were.</summary>
    public Tensor Active { get; }

    /// <summary>Whether the gradient keeps each image's alignment with its plain prompt (see class).</summary>
    public bool KeepsPrompt => prompts is not null;

    /// <summary>Strength of the step: how far the clean-image estimate moves per unit gradient at full noise.</summary>
    public double Scale { get; }

    SemanticGuide(AlignmentModel alignment, Tensor targets, Tensor coefficients, Tensor active, double scale, Tensor? prompts, Tensor? keepsPrompt, double anchor)
    {
        this.alignment = alignment;
        this.targets = targets;
        this.coefficients = coefficients;
        this.prompts = prompts;
        this.keepsPrompt = keepsPrompt;
        this.anchor = anchor;
        Active = active;
        Scale = scale;
    }

    /// <summary>
    /// The guide for a batch with the given phrases per item, or null when nothing would change (no alignment
    /// model, scale 0, or every weight 1). With <paramref name="keptPrompts"/> (one text per item: the plain prompt,
    /// or its words other than the phrases) the gradient keeps each image's alignment with that text (see class); an
    /// empty one keeps nothing. <paramref name="anchor"/> adds the kept text's own gradient at that share (see class).
    /// </summary>
    public static SemanticGuide? Create(CascadeModel model, IReadOnlyList<IReadOnlyList<EmphasizedPhrase>> phrasesPerItem, double scale,
        IReadOnlyList<string>? keptPrompts = null, double anchor = 0)
    {
        if (anchor < 0 || !double.IsFinite(anchor)) throw new ArgumentOutOfRangeException(nameof(anchor), anchor, "The anchor is a share: finite and not negative.");
        if (keptPrompts is not null && keptPrompts.Count != phrasesPerItem.Count)
            throw new ArgumentException($"One prompt per item to keep: {keptPrompts.Count} for {phrasesPerItem.Count} items.");
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
        Tensor? prompts = null, keepsPrompt = null;
        if (keptPrompts is not null)
        {
            // An empty kept prompt (the phrases were the whole prompt) keeps nothing; its row is encoded but unused.
            prompts = alignment.EncodeText(model.Tokenize([.. keptPrompts.Select(p => string.IsNullOrWhiteSpace(p) ? "-" : p)])).MoveToOuterDisposeScope();
            keepsPrompt = tensor(phrasesPerItem.Select((p, i) => p.All(phrase => phrase.Weight >= 1) && !string.IsNullOrWhiteSpace(keptPrompts[i]) ? 1f : 0f).ToArray(),
                device: model.Device).MoveToOuterDisposeScope();
        }
        return new SemanticGuide(alignment, gathered.MoveToOuterDisposeScope(), coefficients.MoveToOuterDisposeScope(), active.MoveToOuterDisposeScope(), scale,
            prompts, keepsPrompt, anchor);
    }

    /// <summary>Unit targets [P, D]: the phrase's text embedding plus the mean of its retrieved reference images.</summary>
    public static Tensor Targets(CascadeModel model, AlignmentModel alignment, IReadOnlyList<string> phrases)
    {
        using var scope = NewDisposeScope();
        var text = alignment.EncodeText(model.Tokenize(phrases));
        var target = model.References is { } index ? nn.functional.normalize(text.Plus(index.Retrieve(text, ReferencesPerPhrase)), dim: 1) : text;
        return target.MoveToOuterDisposeScope();
    }

    /// <summary>The weighted alignment of each image [B, 3, H, W] with its phrases: sum_p (w_p - 1) f(x) . e_p, [B].</summary>
    public Tensor Score(Tensor images)
    {
        var embeddings = alignment.EncodeImage(images, zeros([images.shape[0]], ScalarType.Int64, images.device));
        return PhraseScores(embeddings);
    }

    /// <summary>[B]: each image embedding's weighted similarity to its phrases' targets.</summary>
    Tensor PhraseScores(Tensor embeddings) => (targets.matmul(embeddings.unsqueeze(-1)).squeeze(-1) * coefficients).sum(1);

    /// <summary>The semantic-induced gradient with respect to the images [B, 3, H, W] (scaled per pixel, see class).</summary>
    public Tensor Gradient(Tensor images)
    {
        using var grad = enable_grad();
        using var scope = NewDisposeScope();
        var gradient = prompts is null ? PhraseGradient(images) : PhraseGradientKeepingPrompt(images, prompts, keepsPrompt!);
        double perPixel = Math.Pow((double)images.shape[^1] / alignment.Config.InputResolution, 2);
        return gradient.Times(perPixel).MoveToOuterDisposeScope();
    }

    Tensor PhraseGradient(Tensor images)
    {
        var input = images.detach().requires_grad_(true);
        return autograd.grad([Score(input).sum()], [input])[0];
    }

    /// <summary>Both gradients from one pass over the images twice: the phrase's on the first copy, the prompt's on the second.</summary>
    Tensor PhraseGradientKeepingPrompt(Tensor images, Tensor prompts, Tensor keepsPrompt)
    {
        long batch = images.shape[0];
        var input = cat([images, images]).detach().requires_grad_(true);
        var embeddings = alignment.EncodeImage(input, zeros([2 * batch], ScalarType.Int64, images.device));
        var phraseScore = PhraseScores(embeddings[..(int)batch]).sum();
        var promptScore = (embeddings[(int)batch..] * prompts).sum();
        var both = autograd.grad([phraseScore.Plus(promptScore)], [input])[0];
        var (phrase, prompt) = (both[..(int)batch], both[(int)batch..]);
        var agreement = (phrase * prompt).sum([1, 2, 3]);
        var conflict = agreement.AtMost(0) * keepsPrompt / (prompt * prompt).sum([1, 2, 3]).Plus(1e-20);
        var adjusted = phrase - conflict.view(-1, 1, 1, 1) * prompt;
        if (anchor == 0) return adjusted;
        // The anchor moves brightness only (the same change in R, G and B): the kept words hold the shape, and their
        // own colours (an apple's red) would fight the colour that was asked for and, at this alignment model's size,
        // paint rainbow speckles.
        var shape = prompt.mean([1], keepdim: true).expand_as(prompt);
        return adjusted.Plus(keepsPrompt.Times(anchor).view(-1, 1, 1, 1) * shape);
    }

    public void Dispose()
    {
        targets.Dispose();
        coefficients.Dispose();
        Active.Dispose();
        prompts?.Dispose();
        keepsPrompt?.Dispose();
    }
}
