using System.Diagnostics;
using RefineWeb.Datasets.Colour;
using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Pipelines.Regions;

namespace RefineWeb.Cli.Evaluation;

/// <summary>
/// One two-part layout: what goes in the first part and in the second, where (<paramref name="Kind"/>: left-right,
/// top-bottom, centre-background), and the colours a person should see in each.
/// </summary>
public sealed record RegionLayoutCase(string Kind, string First, string Second, string FirstColour, string SecondColour, long Seed);

/// <summary>How one way of asking did over the layouts (shares, 0-1).</summary>
/// <param name="BothRight">Layouts whose two parts both show their own colour (the dominant colour of the part's pixels).</param>
/// <param name="Leakage">Parts where the other part's colour covers at least a fifth of the foreground.</param>
/// <param name="ObjectsRight">With a judge: layouts whose two parts each show their own object (top-1 among the objects by the judge, on the part cut out alone).</param>
/// <param name="AllRight">With a judge: layouts whose two parts each show their own colour and their own object.</param>
/// <param name="ObjectLeakage">With a judge: parts where the other part's (different) object outranks their own.</param>
public sealed record RegionsResult(string Variant, int Layouts, double BothRight, double FirstRight, double SecondRight, double Leakage,
    IReadOnlyDictionary<string, double> BothRightByKind, double SecondsPerImage, double? ObjectsRight = null, double? AllRight = null, double? ObjectLeakage = null);

/// <summary>
/// How different the candidates of one request are (Cascaded Refinement Networks' diverse outputs): the mean absolute
/// difference between every two of <see cref="Candidates"/> pictures of one layout (0-255 levels, all channels),
/// averaged over <see cref="Layouts"/> layouts, as one plain prompt and by region.
/// </summary>
public sealed record RegionsDiversity(int Layouts, int Candidates, double Plain, double ByRegion);

public sealed record RegionsReport(string Model, DateTimeOffset MeasuredAt, int Resolution, string Judge, IReadOnlyList<RegionsResult> Variants,
    RegionsDiversity? Diversity = null, int? BaseSteps = null);

/// <summary>
/// Do prompts by region put things where they were asked? Two-part layouts of colour-and-object pairs ("red heart" |
/// "blue circle"), the same seeds asked two ways: as one plain prompt ("red heart and blue circle"), and as a layout
/// (a region per part; in centre-background the centre is a region and the prompt covers the rest). Each part of the
/// 256 px picture is judged by its colour (<see cref="ColourPalette"/>, pixel arithmetic no model touched) and, with a
/// <paramref name="judge"/> (an alignment model that never guided anything: eval/judge), by its object: the part cut
/// out alone on white (<see cref="RegionCrops"/>) ranked against every object's name.
/// </summary>
/// <param name="baseSteps">The base stage's steps (fewer steps, measured); null: the stage's default.</param>
public sealed class RegionsEvaluator(CascadeModel model, CascadeModel? judge = null, int? baseSteps = null)
{
    public const double LeakShare = 0.2;

    public static readonly string[] Kinds = ["left-right", "top-bottom", "centre-background"];
    static readonly string[] Colours = ["red", "orange", "yellow", "green", "blue", "purple", "pink", "brown"];
    static readonly string[] Objects = ["heart", "circle", "square"];

    readonly CascadePipeline pipeline = new(model);

    /// <summary><paramref name="perKind"/> layouts of each kind, two different colours each, seeded.</summary>
    public static IReadOnlyList<RegionLayoutCase> Cases(int perKind, long seed)
    {
        var random = new Random(unchecked((int)seed));
        var cases = new List<RegionLayoutCase>();
        foreach (var kind in Kinds)
            for (int i = 0; i < perKind; i++)
            {
                string a = Colours[random.Next(Colours.Length)], b;
                do b = Colours[random.Next(Colours.Length)]; while (b == a);
                cases.Add(new RegionLayoutCase(kind, $"{a} {Objects[random.Next(Objects.Length)]}", $"{b} {Objects[random.Next(Objects.Length)]}", a, b, random.NextInt64(0, int.MaxValue)));
            }
        return cases;
    }

    /// <summary>The layout's regions and its global prompt.</summary>
    public static (string Prompt, IReadOnlyList<PromptRegion> Regions) Layout(RegionLayoutCase c) => c.Kind switch
    {
        "left-right" => ($"{c.First} and {c.Second}", [new(c.First, 0, 0, 0.5, 1), new(c.Second, 0.5, 0, 0.5, 1)]),
        "top-bottom" => ($"{c.First} and {c.Second}", [new(c.First, 0, 0, 1, 0.5), new(c.Second, 0, 0.5, 1, 0.5)]),
        _ => (c.Second, [new(c.First, 0.25, 0.25, 0.5, 0.5)]),
    };

    /// <param name="onPicture">Hears every picture made: its case, whether it was asked by region, and the picture [1, 3, r, r] (valid during the call).</param>
    public RegionsReport Run(IReadOnlyList<RegionLayoutCase> cases, Action<string>? log = null, Action<RegionLayoutCase, bool, TorchSharp.torch.Tensor>? onPicture = null)
    {
        int size = model.Stages[^1].Config.Resolution;
        var results = new List<RegionsResult>();
        foreach (bool regions in new[] { false, true })
        {
            string variant = regions ? "prompts by region" : "one plain prompt";
            log?.Invoke($"{variant}: {cases.Count} layouts...");
            int both = 0, first = 0, second = 0, leaks = 0, objects = 0, all = 0, objectLeaks = 0;
            var bothByKind = Kinds.ToDictionary(k => k, _ => 0);
            var clock = Stopwatch.StartNew();
            foreach (var c in cases)
            {
                var (prompt, layout) = Layout(c);
                using var images = pipeline.Generate(new CascadeRequest
                {
                    Prompt = regions ? prompt : $"{c.First} and {c.Second}", Seeds = [c.Seed], Regions = regions ? layout : null,
                    StepsPerStage = baseSteps is { } steps ? [steps] : null,
                });
                onPicture?.Invoke(c, regions, images);
                var picture = ImageTensor.ToRgbBatch(images)[0];
                var (partA, partB) = Parts(picture, c.Kind);
                bool aRight = ColourPalette.Dominant(partA, 3) == c.FirstColour, bRight = ColourPalette.Dominant(partB, 3) == c.SecondColour;
                first += aRight ? 1 : 0;
                second += bRight ? 1 : 0;
                if (aRight && bRight) { both++; bothByKind[c.Kind]++; }
                leaks += (Leaks(partA, c.SecondColour) ? 1 : 0) + (Leaks(partB, c.FirstColour) ? 1 : 0);
                if (judge is not null)
                {
                    var (aObject, bObject, aLeak, bLeak) = JudgeObjects(images, c);
                    objects += aObject && bObject ? 1 : 0;
                    all += aObject && bObject && aRight && bRight ? 1 : 0;
                    objectLeaks += (aLeak ? 1 : 0) + (bLeak ? 1 : 0);
                }
            }
            double seconds = clock.Elapsed.TotalSeconds / cases.Count;
            int perKind = Math.Max(1, cases.Count / Kinds.Length);
            results.Add(new RegionsResult(variant, cases.Count, (double)both / cases.Count, (double)first / cases.Count, (double)second / cases.Count,
                leaks / (2.0 * cases.Count), bothByKind.ToDictionary(kv => kv.Key, kv => (double)kv.Value / cases.Count(c => c.Kind == kv.Key)), seconds,
                judge is null ? null : (double)objects / cases.Count, judge is null ? null : (double)all / cases.Count, judge is null ? null : objectLeaks / (2.0 * cases.Count)));
            log?.Invoke($"{variant}: both right {results[^1].BothRight:P0}, leakage {results[^1].Leakage:P0}, {seconds:F2} s/image");
        }
        return new RegionsReport(model.Manifest.Name, DateTimeOffset.UtcNow, size,
            judge is null ? "colour of each part's pixels (no model)" : $"colour of each part's pixels; objects by {judge.Directory}", results, BaseSteps: baseSteps);
    }

    /// <summary>
    /// Each part cut out alone and ranked by the judge against every object's name: whether its own object comes first,
    /// and whether the other part's object (when it differs) outranks its own there.
    /// </summary>
    (bool FirstRight, bool SecondRight, bool FirstLeaks, bool SecondLeaks) JudgeObjects(TorchSharp.torch.Tensor images, RegionLayoutCase c)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var (_, layout) = Layout(c);
        int side = (int)images.shape[^1];
        var parts = layout.Count == 2 ? layout
            : [layout[0], PromptRegion.Of(c.Second, [.. Enumerable.Range(0, side * side).Select(p => !InCentre(p % side, p / side, side))], side)];
        var crops = RegionCrops.Of(images[0], parts);
        var similarities = new Engine.Pipelines.Semantic.AlignmentScorer(judge!).Similarities(crops, [Objects, Objects]);
        string ObjectOf(string part) => part[(part.LastIndexOf(' ') + 1)..];
        string Top(double[] scores) => Objects[Array.IndexOf(scores, scores.Max())];
        bool Leaks(double[] scores, string own, string other) => own != other && scores[Array.IndexOf(Objects, other)] > scores[Array.IndexOf(Objects, own)];
        var (firstObject, secondObject) = (ObjectOf(c.First), ObjectOf(c.Second));
        return (Top(similarities[0]) == firstObject, Top(similarities[1]) == secondObject,
            Leaks(similarities[0], firstObject, secondObject), Leaks(similarities[1], secondObject, firstObject));
    }

    /// <summary>
    /// The first <paramref name="layouts"/> cases, each asked for <paramref name="candidates"/> pictures in one request
    /// (consecutive seeds), plain and by region: their mean pairwise pixel distance.
    /// </summary>
    public RegionsDiversity Diversity(IReadOnlyList<RegionLayoutCase> cases, int layouts, int candidates = 4)
    {
        double plain = 0, byRegion = 0;
        var chosen = cases.Take(layouts).ToList();
        foreach (var c in chosen)
        {
            var (prompt, layout) = Layout(c);
            var seeds = Enumerable.Range(0, candidates).Select(i => c.Seed + i).ToList();
            using var plainImages = pipeline.Generate(new CascadeRequest { Prompt = $"{c.First} and {c.Second}", Seeds = seeds });
            using var regionImages = pipeline.Generate(new CascadeRequest { Prompt = prompt, Seeds = seeds, Regions = layout });
            plain += MeanPairwiseDistance(ImageTensor.ToRgbBatch(plainImages));
            byRegion += MeanPairwiseDistance(ImageTensor.ToRgbBatch(regionImages));
        }
        return new RegionsDiversity(chosen.Count, candidates, plain / Math.Max(1, chosen.Count), byRegion / Math.Max(1, chosen.Count));
    }

    /// <summary>The mean absolute difference of every two pictures (0-255 levels over all channels).</summary>
    public static double MeanPairwiseDistance(IReadOnlyList<RgbImage> pictures)
    {
        double total = 0;
        int pairs = 0;
        for (int a = 0; a < pictures.Count; a++)
            for (int b = a + 1; b < pictures.Count; b++, pairs++)
            {
                long sum = 0;
                var (first, second) = (pictures[a].Pixels, pictures[b].Pixels);
                for (int i = 0; i < first.Length; i++) sum += Math.Abs(first[i] - second[i]);
                total += (double)sum / first.Length;
            }
        return pairs == 0 ? 0 : total / pairs;
    }

    static bool InCentre(int x, int y, int side) => x >= side / 4 && x < 3 * side / 4 && y >= side / 4 && y < 3 * side / 4;

    /// <summary>The two parts' RGB pixels: halves, or the centre square and the ring around it.</summary>
    public static (byte[] First, byte[] Second) Parts(RgbImage picture, string kind)
    {
        int w = picture.Width, h = picture.Height;
        bool InFirst(int x, int y) => kind switch
        {
            "left-right" => x < w / 2,
            "top-bottom" => y < h / 2,
            _ => InCentre(x, y, w),
        };
        List<byte> a = [], b = [];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = (y * w + x) * 3;
                (InFirst(x, y) ? a : b).AddRange(picture.Pixels.AsSpan(i, 3));
            }
        return ([.. a], [.. b]);
    }

    static bool Leaks(byte[] part, string otherColour)
    {
        var counts = ColourPalette.Histogram(part, out int foreground, 3);
        return foreground > 0 && counts[otherColour] >= LeakShare * foreground;
    }
}
