using RefineWeb.Datasets.Colour;
using RefineWeb.Engine.Evaluation;
using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Pipelines.Semantic;
using RefineWeb.Engine.Text;
using static TorchSharp.torch;

namespace RefineWeb.Cli.Evaluation;

/// <summary>How one condition (plain or emphasized) did: object recognised without colour, colour right, both.</summary>
/// <param name="ObjectTop1">Share of images whose colour-blind view the alignment model matches to the object first among the others.</param>
/// <param name="ObjectTop3">The same, the object among the first three.</param>
/// <param name="ColourAccuracy">Share of images whose dominant colour (<see cref="ColourPalette.Dominant"/>) is the asked one.</param>
/// <param name="Both">Object first and colour right, on the same image.</param>
public sealed record CompositionConditionResult(string Condition, int Prompts, double ObjectTop1, double ObjectTop3, double ColourAccuracy, double Both,
    IReadOnlyDictionary<string, double> BothByColour);

/// <summary>One image's outcome, so a reader can see which prompts work (and a test can pick one).</summary>
public sealed record CompositionSample(string Condition, string Prompt, long Seed, string? Colour, int ObjectRank);

/// <param name="Judge">The model folder whose alignment model recognised the objects.</param>
public sealed record CompositionReport(string Model, string Judge, DateTimeOffset MeasuredAt, double Weight, double SemanticGuidanceScale, int Resolution, int OtherObjects,
    IReadOnlyList<CompositionConditionResult> Conditions, IReadOnlyList<CompositionSample> Samples, int? BaseSteps = null);

/// <summary>
/// Do colour and object compose? Every case is generated plain ("blue apple") and with the colour emphasized
/// ("(blue:1.5) apple", token re-weighting and the semantic gradient, as the page does), same seeds. The object is
/// judged on a colour-blind view (greyscale), so that the colour cannot give it away: the alignment model ranks the
/// object's name among other objects' names. The colour is judged by the data build's own rule, the dominant colour
/// word of the non-background pixels.
/// </summary>
/// <param name="judge">The model whose alignment model recognises the objects (default: the evaluated one). A fixed
/// judge keeps a before/after comparison fair when fine-tuning changed the alignment model too.</param>
/// <param name="baseSteps">The base stage's steps (fewer steps, measured); null: the stage's default.</param>
public sealed class CompositionEvaluator(CascadeModel model, int batchSize = 16, CascadeModel? judge = null, int? baseSteps = null)
{
    readonly CascadePipeline pipeline = new(model);
    readonly AlignmentScorer scorer = new(judge ?? model);
    readonly string judgeName = (judge ?? model).Directory;

    /// <param name="resolution">Stop the cascade at the last stage no larger than this (the alignment model looks at 32 px anyway).</param>
    /// <param name="semanticScale">Strength of the semantic gradient for the emphasized prompts (default: the model's).</param>
    public CompositionReport Run(IReadOnlyList<CompositionCase> cases, double weight = 1.5, int resolution = 64, long seed = 0, Action<string>? log = null,
        double? semanticScale = null)
    {
        if (cases.Count == 0) throw new ArgumentException("The composition evaluation needs at least one case.");
        if (!scorer.IsAvailable) throw new ArgumentException($"{judgeName} has no alignment model to recognise objects with.");
        int stageCount = model.Stages.Count(s => s.Config.Resolution <= resolution);
        if (stageCount == 0) throw new ArgumentException($"No stage of {model.Manifest.Name} is {resolution} px or smaller.");
        int size = model.Stages[stageCount - 1].Config.Resolution;

        var samples = new List<CompositionSample>();
        var results = new List<CompositionConditionResult>();
        foreach (var (name, emphasized) in new[] { ("plain", false), ("emphasized", true) })
        {
            log?.Invoke($"{name}: {cases.Count} prompts at {size} px...");
            var outcomes = new List<(CompositionCase Case, string? Colour, int Rank)>();
            for (int start = 0; start < cases.Count; start += batchSize)
            {
                var chunk = cases.Skip(start).Take(batchSize).ToList();
                var prompts = chunk.Select(c => emphasized ? PromptEmphasis.Parse(c.Emphasized(weight)) : new EmphasizedPrompt(c.Plain, [])).ToList();
                long[] seeds = [.. Enumerable.Range(start, chunk.Count).Select(i => seed + i)];
                using var images = pipeline.Generate(new CascadeRequest
                {
                    Prompt = prompts[0].Text,
                    ItemPrompts = [.. prompts.Select(p => p.Text)],
                    ItemEmphasis = emphasized ? [.. prompts.Select(p => p.Phrases)] : null,
                    SemanticGuidanceScale = semanticScale,
                    Seeds = seeds,
                    StageCount = stageCount,
                    StepsPerStage = baseSteps is { } steps ? [steps] : null,
                });
                var colours = ImageTensor.ToRgbBatch(images).Select(image => ColourPalette.Dominant(image.Pixels, channels: 3)).ToList();
                using var grey = GreyscaleView.Of(images);
                var scores = scorer.Similarities(grey, [.. chunk.Select(c => (IReadOnlyList<string>)[c.Object, .. c.OtherObjects])]);
                for (int i = 0; i < chunk.Count; i++)
                {
                    int rank = 1 + scores[i].Skip(1).Count(s => s >= scores[i][0]);
                    outcomes.Add((chunk[i], colours[i], rank));
                    samples.Add(new CompositionSample(name, emphasized ? chunk[i].Emphasized(weight) : chunk[i].Plain, seeds[i], colours[i], rank));
                }
            }
            results.Add(Summarize(name, outcomes));
        }
        return new CompositionReport(model.Manifest.Name, judgeName, DateTimeOffset.UtcNow, weight, semanticScale ?? model.Manifest.SemanticGuidanceScale, size, cases[0].OtherObjects.Count, results, samples, baseSteps);
    }

    static CompositionConditionResult Summarize(string name, IReadOnlyList<(CompositionCase Case, string? Colour, int Rank)> outcomes)
    {
        static bool Hit((CompositionCase Case, string? Colour, int Rank) o) => o.Rank == 1 && o.Colour == o.Case.Colour;
        int n = outcomes.Count;
        return new CompositionConditionResult(name, n,
            (double)outcomes.Count(o => o.Rank == 1) / n, (double)outcomes.Count(o => o.Rank <= 3) / n,
            (double)outcomes.Count(o => o.Colour == o.Case.Colour) / n, (double)outcomes.Count(Hit) / n,
            outcomes.GroupBy(o => o.Case.Colour).OrderBy(g => ColourPalette.Words.ToList().IndexOf(g.Key))
                .ToDictionary(g => g.Key, g => (double)g.Count(Hit) / g.Count()));
    }
}
