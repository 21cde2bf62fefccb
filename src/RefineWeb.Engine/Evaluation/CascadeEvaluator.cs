using System.Diagnostics;
using RefineWeb.Engine.Models;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Training;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Evaluation;

/// <summary>
/// The built-in model's three measurements: text alignment (AttnGAN's R-precision, scored by the alignment model),
/// refinement fidelity (PSNR / SSIM of each refiner and of the x4 chain against bicubic upsampling of the same
/// box-downsampled ground truth), and speed. Every image is sampled deterministically from fixed seeds.
/// </summary>
/// <param name="judge">The model folder whose alignment model ranks the captions (an independent judge); null: <paramref name="model"/>'s own.</param>
/// <param name="baseSteps">R-precision's base stage steps (fewer steps, measured); null: the stage's default.</param>
/// <param name="deepCache">R-precision's and speed's DeepCache interval on the base (<see cref="CascadeRequest.BaseDeepCacheInterval"/>); 1: off.</param>
public sealed class CascadeEvaluator(CascadeModel model, int batchSize = 16, RefinerOverrides? refinerOverrides = null, CascadeModel? judge = null, int? baseSteps = null,
    int deepCache = 1)
{
    readonly CascadePipeline pipeline = new(model);
    readonly CascadeModel judging = judge ?? model;

    /// <summary>The base stage's steps where measured with fewer (the other stages their defaults); null: every default.</summary>
    IReadOnlyList<int>? BaseSteps => baseSteps is { } steps ? [steps] : null;

    AlignmentModel Alignment => judging.Alignment
        ?? throw new InvalidOperationException($"{judging.Directory} has no alignment model, which R-precision needs (train it with `refineweb train --stage align`).");

    /// <summary>
    /// For each caption, generates one 64 px image (default settings) and ranks the caption among
    /// <paramref name="distractors"/> others drawn from <paramref name="distractorPool"/> (captions different from it).
    /// </summary>
    public RPrecisionResult RPrecision(string split, IReadOnlyList<string> captions, IReadOnlyList<string> distractorPool, int distractors = 99, long seed = 0)
    {
        var pool = distractorPool.Distinct().ToList();
        if (pool.Count <= distractors) throw new ArgumentException($"R-precision needs more than {distractors} distinct distractor captions; the pool has {pool.Count}.");
        var random = new Random((int)seed);
        int hits = 0;
        double trueSimilarity = 0;
        for (int start = 0; start < captions.Count; start += batchSize)
        {
            var chunk = captions.Skip(start).Take(batchSize).ToList();
            using var images = pipeline.Generate(new CascadeRequest
            {
                Prompt = chunk[0],
                ItemPrompts = chunk,
                Seeds = [.. Enumerable.Range(start, chunk.Count).Select(i => seed + i)],
                StepsPerStage = BaseSteps, BaseDeepCacheInterval = deepCache,
            });
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var imageEmbeddings = Alignment.EncodeImage(images.to(judging.Device), zeros([chunk.Count], ScalarType.Int64, judging.Device));
            for (int i = 0; i < chunk.Count; i++)
            {
                var candidates = new List<string> { chunk[i] };
                while (candidates.Count <= distractors)
                {
                    var other = pool[random.Next(pool.Count)];
                    if (!candidates.Contains(other)) candidates.Add(other);
                }
                var scores = Alignment.EncodeText(judging.Tokenize(candidates)).matmul(imageEmbeddings[i]);
                var values = scores.cpu().data<float>().ToArray();
                trueSimilarity += values[0];
                if (values.Skip(1).All(v => v < values[0])) hits++;
            }
        }
        return new RPrecisionResult(split, captions.Count, distractors, (double)hits / captions.Count, trueSimilarity / captions.Count,
            judge?.Directory, baseSteps) { DeepCache = deepCache > 1 ? deepCache : null };
    }

    /// <summary>
    /// Box-downsamples validation images to each refiner's input size, refines them (prompt = their label) and
    /// compares with bicubic upsampling: every refiner alone, then the whole chain from the base resolution. Only the
    /// refiners up to the bank's resolution run. Each row also carries edge fidelity (sharpness against the truth's) and
    /// <paramref name="truthName"/>, which pictures the bank holds.
    /// </summary>
    public IReadOnlyList<FidelityResult> Fidelity(ImageBank truth, long seed = 0, string? truthName = null)
    {
        var refiners = Enumerable.Range(0, model.Stages.Count)
            .Where(i => model.Stages[i].Config.UNet.IsRefiner && model.Stages[i].Config.Resolution <= truth.Resolution).ToList();
        if (refiners.Count == 0) return [];
        var accumulators = new Dictionary<string, FidelitySums>();
        void Add(string path, int from, int to, Tensor output, Tensor input, Tensor reference)
        {
            using var bicubic = StageSampling.UpsampleForRefiner(input, to);
            int n = (int)output.shape[0];
            if (!accumulators.TryGetValue(path, out var sums)) accumulators[path] = sums = new FidelitySums(from, to);
            sums.Psnr += n * ImageQuality.Psnr(output, reference);
            sums.Ssim += n * ImageQuality.Ssim(output, reference);
            sums.BicubicPsnr += n * ImageQuality.Psnr(bicubic, reference);
            sums.BicubicSsim += n * ImageQuality.Ssim(bicubic, reference);
            sums.Edges += n * ImageQuality.EdgeStrength(output);
            sums.BicubicEdges += n * ImageQuality.EdgeStrength(bicubic);
            sums.TruthEdges += n * ImageQuality.EdgeStrength(reference);
            sums.Images += n;
        }

        using var noGrad = no_grad();
        int first = refiners[0];
        int baseResolution = model.Stages[first].Config.Resolution / 2;
        for (int start = 0; start < truth.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            int count = Math.Min(batchSize, truth.Count - start);
            var indices = ScalarArguments.Range(start, start + count, ScalarType.Int64);
            var labels = truth.Examples.Skip(start).Take(count).Select(e => e.Captions[0]).ToList();
            var tokens = model.Tokenize([.. labels, .. Enumerable.Repeat("", count)]);
            var generators = Enumerable.Range(0, count).Select(i => new Generator((ulong)(seed + start + i), model.Device)).ToList();
            try
            {
                var chainInput = truth.ImagesAt(indices, baseResolution).to(model.Device);
                var chain = chainInput;
                foreach (var s in refiners)
                {
                    var stage = model.Stages[s];
                    int to = stage.Config.Resolution, from = to / 2;
                    var settings = new StageSamplingSettings(refinerOverrides?.Steps ?? stage.Config.DefaultSteps,
                        refinerOverrides?.GuidanceScale ?? stage.Config.DefaultGuidanceScale, Strength: refinerOverrides?.Strength);
                    var input = truth.ImagesAt(indices, from).to(model.Device);
                    var reference = truth.ImagesAt(indices, to).to(model.Device);
                    var single = StageSampling.Run(stage, tokens, input, generators, settings);
                    Add(stage.Config.Name, from, to, single, input, reference);
                    if (s == first)
                    {
                        chain = single; // the chain's first refiner sees exactly this input
                        continue;
                    }
                    chain = StageSampling.Run(stage, tokens, chain, generators, settings);
                    Add($"x{to / baseResolution} chain", baseResolution, to, chain, chainInput, reference);
                }
            }
            finally
            {
                foreach (var g in generators) g.Dispose();
            }
        }
        return accumulators.Select(kv => kv.Value.Result(kv.Key, truthName)).ToList();
    }

    /// <summary>One path's running sums over the batches (each figure weighted by its batch's size).</summary>
    sealed class FidelitySums(int from, int to)
    {
        public double Psnr, Ssim, BicubicPsnr, BicubicSsim, Edges, BicubicEdges, TruthEdges;
        public int Images;

        public FidelityResult Result(string path, string? truth) => new(path, from, to, Images, Psnr / Images, Ssim / Images, BicubicPsnr / Images, BicubicSsim / Images)
        {
            EdgeFidelity = TruthEdges > 0 ? Edges / TruthEdges : null,
            BicubicEdgeFidelity = TruthEdges > 0 ? BicubicEdges / TruthEdges : null,
            Truth = truth,
        };
    }

    /// <summary>
    /// Median over <paramref name="runs"/> (after one warm-up) of one default image through every stage, its first
    /// preview and each stage's step time; and in the same runs, interleaved, one image stopped at 64 px (when the
    /// model goes beyond it), so the two are compared on the same machine at the same moment.
    /// </summary>
    public SpeedResult Speed(string prompt = "red heart", int runs = 5)
    {
        const int Comparison = 64;
        int comparisonStages = model.Stages.Count(s => s.Config.Resolution <= Comparison);
        bool compare = comparisonStages > 0 && comparisonStages < model.Stages.Count;
        var smaller = new List<double>();
        var images = new List<double>();
        var firstPreviews = new List<double>();
        var stepTimes = model.Stages.ToDictionary(s => s.Config.Name, _ => new List<double>());
        for (int run = -1; run < runs; run++)
        {
            var clock = Stopwatch.StartNew();
            double? first = null;
            double last = 0;
            var steps = new List<(string Stage, double Ms)>();
            using var result = pipeline.Generate(new CascadeRequest { Prompt = prompt, Seeds = [run + 1], StepsPerStage = BaseSteps, BaseDeepCacheInterval = deepCache }, preview =>
            {
                double now = clock.Elapsed.TotalMilliseconds;
                first ??= now;
                // The first step of a stage also pays for that stage's text encoding and set-up; still a step the user waits for.
                steps.Add((preview.StageName, now - last));
                last = now;
            });
            clock.Stop();
            if (compare)
            {
                var small = Stopwatch.StartNew();
                using var stopped = pipeline.Generate(new CascadeRequest { Prompt = prompt, Seeds = [run + 1], StageCount = comparisonStages, StepsPerStage = BaseSteps, BaseDeepCacheInterval = deepCache });
                if (run >= 0) smaller.Add(small.Elapsed.TotalMilliseconds);
            }
            if (run < 0) continue;
            images.Add(clock.Elapsed.TotalMilliseconds);
            firstPreviews.Add(first ?? double.NaN);
            foreach (var (stage, ms) in steps) stepTimes[stage].Add(ms);
        }
        return new SpeedResult(runs, model.Stages[^1].Config.Resolution, Median(images), Median(firstPreviews),
            stepTimes.ToDictionary(kv => kv.Key, kv => Median(kv.Value)),
            compare ? new Dictionary<int, double> { [Comparison] = Median(smaller) } : new Dictionary<int, double>(),
            model.Device.type.ToString().ToLowerInvariant(), get_num_threads());
    }

    static double Median(List<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToList();
        int mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

/// <summary>Sampling settings that replace every refiner's defaults in the fidelity measurement (null keeps the default).</summary>
public sealed record RefinerOverrides(int? Steps = null, double? GuidanceScale = null, double? Strength = null);
