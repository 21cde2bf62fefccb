using System.Diagnostics;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Pipelines.Semantic;
using RefineWeb.Engine.Text;

namespace RefineWeb.Engine.Evaluation;

/// <summary>How one way of emphasizing (or none) did over all cases; similarities are cosines x 100 ("points").</summary>
public sealed record SemanticConditionResult(string Condition, int Prompts, double PhraseSimilarity, double PhraseTop1,
    double PromptSimilarity, double PromptTop1, double MsPerImage, IReadOnlyDictionary<string, double> PhraseTop1ByCategory);

/// <param name="SingleImagePlainMs">Median wall time of one image alone (the page's usual request), without emphasis.</param>
/// <param name="SingleImageEmphasizedMs">The same with the phrase emphasized (token re-weighting and gradient).</param>
public sealed record SemanticReport(string Model, DateTimeOffset MeasuredAt, double Weight, double SemanticGuidanceScale, int PromptDistractors,
    IReadOnlyList<SemanticConditionResult> Conditions, IReadOnlyDictionary<string, int> CasesPerCategory,
    double SingleImagePlainMs, double SingleImageEmphasizedMs);

/// <summary>
/// Does emphasis work? Every case is generated with the same seed without emphasis, then with the phrase emphasized
/// by token re-weighting alone, by the semantic gradient alone, and by both (the product's default). Each image is
/// scored by the alignment model: the phrase's similarity and its rank among the category's other phrases, and the
/// whole prompt's similarity and its rank among random other captions. Caveat: the alignment model that scores is
/// also the one that guides, so the gradient's gain is measured by the model it climbs.
/// </summary>
public sealed class SemanticEvaluator(CascadeModel model, int batchSize = 16)
{
    readonly CascadePipeline pipeline = new(model);
    readonly AlignmentScorer scorer = new(model);

    public SemanticReport Run(IReadOnlyList<SemanticCase> cases, IReadOnlyList<string> captionPool, double weight = 1.5,
        double? semanticScale = null, int promptDistractors = 99, long seed = 0, Action<string>? log = null)
    {
        if (cases.Count == 0) throw new ArgumentException("The semantic evaluation needs at least one case.");
        var pool = captionPool.Distinct().ToList();
        if (pool.Count <= promptDistractors) throw new ArgumentException($"Need more than {promptDistractors} distinct captions as distractors; have {pool.Count}.");
        var random = new Random(unchecked((int)seed));
        var promptCandidates = cases.Select(c =>
        {
            var candidates = new List<string> { c.Prompt };
            while (candidates.Count <= promptDistractors)
            {
                var other = pool[random.Next(pool.Count)];
                if (!candidates.Contains(other, StringComparer.OrdinalIgnoreCase)) candidates.Add(other);
            }
            return (IReadOnlyList<string>)candidates;
        }).ToList();
        double scale = semanticScale ?? model.Manifest.SemanticGuidanceScale;
        (string Name, bool Emphasis, bool Tokens, double Scale)[] conditions =
            [("plain", false, false, 0), ("token re-weighting", true, true, 0), ("semantic gradient", true, false, scale), ("both", true, true, scale)];
        // One untimed batch first, so that no condition pays for the first call's warm-up.
        Measure("warm-up", cases.Take(Math.Min(batchSize, cases.Count)).ToList(), promptCandidates, weight, true, scale, seed);
        var results = new List<SemanticConditionResult>();
        foreach (var condition in conditions)
        {
            log?.Invoke($"{condition.Name}: {cases.Count} prompts...");
            results.Add(Measure(condition.Name, cases, promptCandidates, condition.Emphasis ? weight : 1, condition.Tokens, condition.Scale, seed));
        }
        log?.Invoke("one image at a time...");
        return new SemanticReport(model.Manifest.Name, DateTimeOffset.UtcNow, weight, scale, promptDistractors, results,
            cases.GroupBy(c => c.Category).ToDictionary(g => g.Key, g => g.Count()),
            SingleImageMs(cases[0], 1, scale), SingleImageMs(cases[0], weight, scale));
    }

    /// <summary>Median of 5 single-image generations (after one warm-up).</summary>
    double SingleImageMs(SemanticCase sample, double weight, double scale)
    {
        var times = new List<double>();
        for (int run = -1; run < 5; run++)
        {
            var clock = Stopwatch.StartNew();
            using var image = pipeline.Generate(new CascadeRequest
            {
                Prompt = sample.Prompt, Seeds = [run + 1], SemanticGuidanceScale = scale,
                ItemEmphasis = [[new EmphasizedPhrase(sample.Phrase, weight, sample.Start)]],
            });
            if (run >= 0) times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return times.Order().ElementAt(times.Count / 2);
    }

    SemanticConditionResult Measure(string name, IReadOnlyList<SemanticCase> cases, IReadOnlyList<IReadOnlyList<string>> promptCandidates,
        double weight, bool reweightTokens, double scale, long seed)
    {
        double phraseSimilarity = 0, promptSimilarity = 0;
        int phraseHits = 0, promptHits = 0;
        var hitsByCategory = cases.Select(c => c.Category).Distinct().ToDictionary(c => c, _ => 0);
        var clock = new Stopwatch();
        for (int start = 0; start < cases.Count; start += batchSize)
        {
            var chunk = cases.Skip(start).Take(batchSize).ToList();
            clock.Start();
            using var images = pipeline.Generate(new CascadeRequest
            {
                Prompt = chunk[0].Prompt,
                ItemPrompts = [.. chunk.Select(c => c.Prompt)],
                ItemEmphasis = [.. chunk.Select(c => (IReadOnlyList<EmphasizedPhrase>)[new EmphasizedPhrase(c.Phrase, weight, c.Start)])],
                Seeds = [.. Enumerable.Range(start, chunk.Count).Select(i => seed + i)],
                ReweightTokens = reweightTokens,
                SemanticGuidanceScale = scale,
            });
            clock.Stop();
            var phraseScores = scorer.Similarities(images, [.. chunk.Select(c => (IReadOnlyList<string>)[c.Phrase, .. c.Distractors])]);
            var promptScores = scorer.Similarities(images, [.. promptCandidates.Skip(start).Take(chunk.Count)]);
            for (int i = 0; i < chunk.Count; i++)
            {
                phraseSimilarity += phraseScores[i][0];
                promptSimilarity += promptScores[i][0];
                if (phraseScores[i].Skip(1).All(s => s < phraseScores[i][0]))
                {
                    phraseHits++;
                    hitsByCategory[chunk[i].Category]++;
                }
                if (promptScores[i].Skip(1).All(s => s < promptScores[i][0])) promptHits++;
            }
        }
        int n = cases.Count;
        return new SemanticConditionResult(name, n, 100 * phraseSimilarity / n, (double)phraseHits / n, 100 * promptSimilarity / n, (double)promptHits / n,
            clock.Elapsed.TotalMilliseconds / n,
            hitsByCategory.ToDictionary(kv => kv.Key, kv => (double)kv.Value / cases.Count(c => c.Category == kv.Key)));
    }
}
