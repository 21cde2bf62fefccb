using RefineWeb.Engine.Text;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Semantic;

/// <summary>
/// What emphasis changes in every stage's sampling: the emphasized tokens' share of cross-attention (RealignDiff's
/// attention re-weighting) and the semantic-induced gradient added to each step (SeReDiff). Either may be absent.
/// </summary>
/// <param name="TokenWeights">[2B, L]: the conditional rows carry the phrase weights, the unconditional rows 1.</param>
/// <param name="GuideFactor">The share of the guide's scale this stage applies (the model's per-stage factor).</param>
public sealed record StageEmphasis(Tensor? TokenWeights, SemanticGuide? Guide, double GuideFactor = 1) : IDisposable
{
    /// <summary>
    /// The emphasis of a batch, or null when no phrase weighs other than 1. <paramref name="prompts"/> are the plain
    /// prompts the tokenizer reads (one per item), <paramref name="phrases"/> their emphasized phrases.
    /// </summary>
    public static StageEmphasis? Create(CascadeModel model, IReadOnlyList<string> prompts, IReadOnlyList<IReadOnlyList<EmphasizedPhrase>>? phrases,
        double? semanticScale, bool reweightTokens)
    {
        if (phrases is null || !phrases.Any(p => p.Any(phrase => phrase.Weight != 1))) return null;
        if (phrases.Count != prompts.Count) throw new ArgumentException($"Emphasis must be given for each of the {prompts.Count} images (an empty list where there is none).");
        Tensor? tokenWeights = null;
        if (reweightTokens)
        {
            var rows = prompts.Select((p, i) => TokenEmphasis.Weights(model.Tokenizer, p, phrases[i]))
                .Concat(prompts.Select(_ => Enumerable.Repeat(1f, model.Tokenizer.MaxLength).ToArray()))
                .SelectMany(r => r).ToArray();
            tokenWeights = tensor(rows, [2 * prompts.Count, model.Tokenizer.MaxLength], device: model.Device);
        }
        var kept = !model.Manifest.SemanticGuidanceKeepsPrompt ? null
            : model.Manifest.SemanticGuidanceKeepsOtherWords ? prompts.Select((p, i) => PromptEmphasis.WithoutPhrases(p, phrases[i])).ToList()
            : prompts;
        var guide = SemanticGuide.Create(model, phrases, semanticScale ?? model.Manifest.SemanticGuidanceScale, kept, model.Manifest.SemanticGuidanceAnchor);
        return new StageEmphasis(tokenWeights, guide);
    }

    /// <summary>
    /// The emphasis of stage <paramref name="index"/>: the gradient at the model's factor for that stage, none above
    /// its guided stages. The copy shares this one's tensors; only this one is disposed.
    /// </summary>
    public StageEmphasis ForStage(CascadeModel model, int index) =>
        model.Manifest.SemanticGuidanceFactor(index) is var factor && factor > 0 ? this with { GuideFactor = factor } : this with { Guide = null };

    public void Dispose()
    {
        TokenWeights?.Dispose();
        Guide?.Dispose();
    }
}
