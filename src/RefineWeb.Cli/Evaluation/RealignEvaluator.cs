using System.Diagnostics;
using RefineWeb.Datasets.Colour;
using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Pipelines.Realign;
using RefineWeb.Engine.Pipelines.Regions;
using RefineWeb.Engine.Pipelines.Semantic;
using RefineWeb.Engine.Text;

namespace RefineWeb.Cli.Evaluation;

/// <summary>
/// How re-alignment did on pictures with a phrase that scores low (shares, 0-1), asked one way.
/// </summary>
/// <param name="Pictures">Pictures with at least one phrase the shipped model scores low (those re-align works on).</param>
/// <param name="Scanned">Pictures made to find them (the others already matched well).</param>
/// <param name="Kept">Pictures where a candidate was kept (the shipped model saw its phrase rise and nothing fall).</param>
/// <param name="LowRisesByJudge">Pictures whose lowest phrase scores higher on its region by the judge after than before.</param>
/// <param name="OtherFallsByJudge">Pictures where another phrase scores lower on its region by the judge (by more than <see cref="Realigner.Tolerance"/>).</param>
/// <param name="ColourRightBefore">The lowest phrase's region shows its colour word as its dominant colour (pixel arithmetic, no model), before.</param>
/// <param name="JudgeGain">Mean change of the lowest phrase's judge score on its region.</param>
/// <param name="ModelGain">Mean change of its score by the shipped model (the one that chose the candidates).</param>
public sealed record RealignResultSummary(string Variant, int Pictures, int Scanned, double Kept, double LowRisesByJudge, double OtherFallsByJudge,
    double ColourRightBefore, double ColourRightAfter, double JudgeGain, double ModelGain, double SecondsPerPicture);

public sealed record RealignReport(string Model, DateTimeOffset MeasuredAt, int Resolution, string Judge, IReadOnlyList<RealignResultSummary> Variants);

/// <summary>
/// Does re-align help where a phrase scores low, by a model that never chose anything? Colour-and-object pairs
/// (<see cref="RegionsEvaluator.Cases"/>) are drawn as one plain prompt ("red heart and blue circle": phrases found
/// by attention) and as a left-right layout (regions); pictures are made until <c>pictures</c> of each have a phrase
/// the shipped model scores low; each is re-aligned, and the lowest phrase is judged on its region before and after
/// by the <paramref name="judge"/> (eval/judge) and by the colour of its pixels.
/// </summary>
public sealed class RealignEvaluator(CascadeModel model, CascadeModel judge, double? minimumGain = null)
{
    Realigner NewRealigner() => minimumGain is { } gain ? new Realigner(model) { MinimumGain = gain } : new Realigner(model);

    public RealignReport Run(IReadOnlyList<RegionLayoutCase> cases, int pictures, Action<string>? log = null)
    {
        int size = model.Stages[^1].Config.Resolution;
        var results = new List<RealignResultSummary>();
        foreach (bool layout in new[] { false, true })
        {
            string variant = layout ? "a left-right layout" : "one plain prompt";
            int found = 0, scanned = 0, kept = 0, rises = 0, falls = 0, colourBefore = 0, colourAfter = 0;
            double judgeGain = 0, modelGain = 0;
            var clock = Stopwatch.StartNew();
            foreach (var c in cases)
            {
                if (found == pictures) break;
                scanned++;
                string prompt = $"{c.First} and {c.Second}";
                IReadOnlyList<PromptRegion>? regions = layout ? [new(c.First, 0, 0, 0.5, 1), new(c.Second, 0.5, 0, 0.5, 1)] : null;
                using var made = new CascadePipeline(model).Generate(new CascadeRequest { Prompt = prompt, Seeds = [c.Seed], Regions = regions });
                var picture = ImageTensor.ToRgbBatch(made)[0];
                var result = NewRealigner().Run(new RealignRequest { Source = picture, Prompt = prompt, Regions = regions, Seed = c.Seed });
                if (!result.Phrases.Any(p => p.Tried > 0)) continue;
                found++;
                // The lowest phrase by the shipped model: the one re-aligned first.
                int low = result.Phrases.Select((p, i) => (p, i)).Where(x => x.p.Tried > 0).MinBy(x => x.p.Before).i;
                var masks = Masks(picture, prompt, regions, c.Seed, size);
                var phraseRegions = result.Phrases.Select((p, i) => PromptRegion.Of(p.Phrase, masks[i], size)).ToList();
                var before = JudgeScores(picture, phraseRegions);
                var after = JudgeScores(result.Image, phraseRegions);
                kept += result.Phrases.Any(p => p.Realigned) ? 1 : 0;
                rises += after[low] > before[low] ? 1 : 0;
                falls += Enumerable.Range(0, before.Length).Any(j => j != low && after[j] < before[j] - Realigner.Tolerance) ? 1 : 0;
                judgeGain += after[low] - before[low];
                modelGain += result.Phrases[low].After - result.Phrases[low].Before;
                string colour = result.Phrases[low].Phrase.Split(' ')[0];
                colourBefore += DominantIn(picture, masks[low]) == colour ? 1 : 0;
                colourAfter += DominantIn(result.Image, masks[low]) == colour ? 1 : 0;
                log?.Invoke($"  {variant} #{found}: {prompt} (seed {c.Seed}): {string.Join("; ", result.Phrases.Select(p => $"{p.Phrase} {p.Before:F3}->{p.After:F3}{(p.Realigned ? " kept" : "")}"))}; judge {before[low]:F3}->{after[low]:F3}");
            }
            double n = Math.Max(1, found);
            results.Add(new RealignResultSummary(variant, found, scanned, kept / n, rises / n, falls / n, colourBefore / n, colourAfter / n,
                Math.Round(judgeGain / n, 4), Math.Round(modelGain / n, 4), clock.Elapsed.TotalSeconds / Math.Max(1, scanned)));
            log?.Invoke($"{variant}: {found} pictures with a low phrase of {scanned}; kept {results[^1].Kept:P0}, low phrase rises by the judge {results[^1].LowRisesByJudge:P0}, another falls {results[^1].OtherFallsByJudge:P0}");
        }
        return new RealignReport(model.Manifest.Name, DateTimeOffset.UtcNow, size, judge.Directory, results);
    }

    /// <summary>Each phrase's region as re-align sees it: a layout's halves, or where the base attends to the phrase.</summary>
    bool[][] Masks(RgbImage picture, string prompt, IReadOnlyList<PromptRegion>? regions, long seed, int size)
    {
        if (regions is not null)
            return [.. regions.Select(r => r.Pixels(size))];
        using var image = ImageTensor.FromRgb(picture);
        var phrases = PromptPhrases.Of(prompt);
        return [.. new PhraseLocator(model).Locate(image, prompt, phrases, seed, size).Where(m => m is not null && m.Any(b => b)).Select(m => m!)];
    }

    double[] JudgeScores(RgbImage picture, IReadOnlyList<PromptRegion> regions)
    {
        using var image = ImageTensor.FromRgb(picture);
        return new AlignmentScorer(judge).RegionScores(image, regions);
    }

    static string? DominantIn(RgbImage picture, bool[] mask)
    {
        var pixels = new List<byte>();
        for (int p = 0; p < mask.Length; p++)
            if (mask[p]) pixels.AddRange(picture.Pixels.AsSpan(p * 3, 3));
        return ColourPalette.Dominant([.. pixels], 3);
    }
}
