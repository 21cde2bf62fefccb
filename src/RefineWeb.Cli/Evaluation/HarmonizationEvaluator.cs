using System.Diagnostics;
using RefineWeb.Engine.Evaluation;
using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Pipelines.Semantic;
using RefineWeb.Engine.Training;
using static TorchSharp.torch;

namespace RefineWeb.Cli.Evaluation;

/// <summary>One way to refine a region: RePaint's resampling (each step taken <paramref name="TimesPerStep"/> times at the
/// <paramref name="ResampledStages"/> coarsest stages), the steps per stage (null: the model's defaults) and where the refiners start (null: the region's strength).</summary>
public sealed record HarmonizationVariant(string Name, int TimesPerStep = 1, int ResampledStages = 0, IReadOnlyList<int>? Steps = null, double? RefinerStrength = null);

/// <summary>How one variant did, means over the cases (levels are 0-255; see <see cref="SeamScore"/>).</summary>
/// <param name="SeamExcess">The border's step less the texture beside it; <paramref name="ParentSeamExcess"/> is the same border in the unedited picture.</param>
/// <param name="ColourGapChange">How much the colour gap across the border grew over the parent's (absolute).</param>
/// <param name="RegionScore">The alignment model's similarity of the region's square crop with the caption.</param>
/// <param name="Sharpness">The region's inside step over the parent's in the same place (1 = as sharp as the art; blur lowers it).</param>
/// <param name="VisibleSeams">Share of cases whose seam excess is more than 8 levels above the parent's: a border a person sees.</param>
public sealed record HarmonizationResult(string Variant, int Cases, double SeamExcess, double ParentSeamExcess, double ColourGapChange, double Sharpness, double RegionScore,
    double ParentRegionScore, double VisibleSeams, double SecondsPerImage);

public sealed record HarmonizationReport(string Model, DateTimeOffset MeasuredAt, int Resolution, double Strength, IReadOnlyList<HarmonizationResult> Variants);

/// <summary>
/// Does brush &amp; refine blend in? Each validation picture (vector art at the model's largest size) gets a seeded
/// rectangle (a third to a half of its side) re-refined with its own caption, once per variant, same seeds; the
/// border is measured by <see cref="SeamMeasure"/> against the same border in the parent, and the region is scored
/// against the caption by the alignment model (a guard that blending does not cost the content; it is the shipped
/// model's own judge, so it is no evidence of quality on its own).
/// </summary>
public sealed class HarmonizationEvaluator(CascadeModel model)
{
    /// <summary>A seam this many levels above the parent's is one a person sees (a step of 8 in 255 is a visible line on flat art).</summary>
    public const double VisibleExcess = 8;

    readonly CascadePipeline pipeline = new(model);
    readonly AlignmentScorer scorer = new(model);

    public HarmonizationReport Run(IReadOnlyList<TrainingExample> examples, IReadOnlyList<HarmonizationVariant> variants, double strength = RefinementRequest.DefaultStrength, long seed = 0,
        Action<string>? log = null)
    {
        if (examples.Count == 0) throw new ArgumentException("The harmonization evaluation needs at least one picture.");
        int size = model.Stages[^1].Config.Resolution;
        var random = new Random(unchecked((int)seed));
        var cases = examples.Select(e => (Example: e, Mask: RandomRectangle(random, size))).ToList();
        // Each picture is read once; every variant refines the same ones.
        var parents = examples.Select(e =>
        {
            var parent = ImageTensor.FromEncoded(File.ReadAllBytes(e.ImagePath));
            if (parent.shape[1] != size || parent.shape[2] != size)
                throw new InvalidDataException($"{e.ImagePath} is {parent.shape[2]} px; the evaluation needs the model's {size} px pictures.");
            return parent.DetachFromDisposeScope();
        }).ToList();
        var results = new List<HarmonizationResult>();
        foreach (var variant in variants)
        {
            log?.Invoke($"{variant.Name}: {cases.Count} pictures at {size} px...");
            double excess = 0, parentExcess = 0, gapChange = 0, insideAfter = 0, insideBefore = 0, region = 0, parentRegion = 0, seconds = 0;
            int visible = 0;
            for (int i = 0; i < cases.Count; i++)
            {
                using var scope = NewDisposeScope();
                var (example, (x, y, side)) = cases[i];
                var parent = parents[i];
                var mask = zeros(size, size);
                mask[y..(y + side), x..(x + side)] = 1;
                var clock = Stopwatch.StartNew();
                var result = pipeline.Generate(new CascadeRequest
                {
                    Prompt = example.Captions[0], Seeds = [seed + i], StepsPerStage = variant.Steps,
                    Region = new RepaintRegion(parent, mask, strength, variant.TimesPerStep, variant.ResampledStages, variant.RefinerStrength),
                })[0];
                seconds += clock.Elapsed.TotalSeconds;
                var after = SeamMeasure.Of(result, mask);
                var before = SeamMeasure.Of(parent, mask);
                excess += after.Excess;
                parentExcess += before.Excess;
                gapChange += Math.Abs(after.ColourGap - before.ColourGap);
                insideAfter += after.InsideStep;
                insideBefore += before.InsideStep;
                if (after.Excess - before.Excess > VisibleExcess) visible++;
                var crops = stack([Crop(result, x, y, side), Crop(parent, x, y, side)]);
                var scores = scorer.Similarities(crops, [[example.Captions[0]], [example.Captions[0]]]);
                region += scores[0][0];
                parentRegion += scores[1][0];
            }
            int n = cases.Count;
            results.Add(new HarmonizationResult(variant.Name, n, excess / n, parentExcess / n, gapChange / n, insideBefore == 0 ? 0 : insideAfter / insideBefore, region / n, parentRegion / n, (double)visible / n, seconds / n));
        }
        foreach (var parent in parents) parent.Dispose();
        return new HarmonizationReport(model.Manifest.Name, DateTimeOffset.UtcNow, size, strength, results);
    }

    /// <summary>A square of a third to a half of the side, anywhere inside the picture.</summary>
    static (int X, int Y, int Side) RandomRectangle(Random random, int size)
    {
        int side = random.Next(size / 3, size / 2 + 1);
        return (random.Next(0, size - side + 1), random.Next(0, size - side + 1), side);
    }

    static Tensor Crop(Tensor image, int x, int y, int side) => image[.., y..(y + side), x..(x + side)];
}
