using System.Diagnostics;
using RefineWeb.Engine.Models;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Profiling;
using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Benchmarks;

// How close each stage's denoiser runs to what this CPU can do (issue 29), all in one run, side by side:
//   the machine's practical peak (libtorch matmul, 1024^3, float32), then per stage and batch size the FLOPs of one
//   denoising step (counted from the layer shapes, classifier-free guidance's two passes included), its time and the
//   share of the peak it reaches, and where a step's time goes.
// Usage: dotnet run -c Release --project bench/RefineWeb.Benchmarks -- --roofline [--runs N]
static class RooflineBenchmark
{
    public static void Run(int runs)
    {
        TorchRuntime.Initialize();
        var directory = Path.Combine(BenchHost.RepositoryRoot(), "models", "emoji-cascade-v1");
        using var model = CascadeModel.Load(directory, CPU);
        using var noGrad = no_grad();

        double peak = MatmulGflops(runs);
        Console.WriteLine($"Practical peak: libtorch matmul 1024x1024x1024 float32, {get_num_threads()} threads: {peak:F1} GFLOP/s (median of {runs})");
        Console.WriteLine();
        Console.WriteLine("| stage | px | passes | batch | GFLOP / step | ms / step | GFLOP/s | of peak | ms / image-step | ms / step in one pass |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var profiles = new List<(DiffusionStage Stage, int Batch, LayerTimer.Breakdown Time)>();
        var perImageStep = new Dictionary<(DiffusionStage Stage, int Batch), double>();
        foreach (var stage in model.Stages)
        {
            foreach (int batch in new[] { 1, 2, 4, 8, 16 })
            {
                using var scope = NewDisposeScope();
                var input = Input(model, stage, batch, out int passes);
                var flops = FlopCounter.Count(stage.UNet, () => { using var pass = NewDisposeScope(); stage.Denoise(input); });
                double ms = MedianMilliseconds(() => stage.Denoise(input), runs);
                // Side by side: the whole batch in one pass, as before the engine sliced large passes (DiffusionStage.MaxRowsPerPass).
                string onePass = input.Rows > stage.MaxRowsPerPass ? $"{MedianMilliseconds(() => stage.Denoise(input, rowsPerPass: input.Rows), runs):F1}" : "same";
                double gflops = flops.Total / ms / 1e6;
                Console.WriteLine($"| {stage.Config.Name} | {stage.Config.Resolution} | {passes} | {batch} | {flops.Total / 1e9:F3} | {ms:F1} | {gflops:F1} | {100 * gflops / peak:F0} % | {ms / batch:F1} | {onePass} |");
                perImageStep[(stage, batch)] = ms / batch;
                if (batch is 1 or 4) profiles.Add((stage, batch, LayerTimer.Measure(stage.UNet, () => { using var pass = NewDisposeScope(); stage.Denoise(input); }, runs)));
            }
        }

        PrintThroughputBound(model, perImageStep);
        PrintPassSizes(model, runs);

        Console.WriteLine();
        Console.WriteLine("Where a denoising step's time goes (forward hooks; their own cost is in the total):");
        Console.WriteLine();
        Console.WriteLine("| stage | batch | total ms | convolutions | linear | GroupNorm | rest (attention matmuls, softmax, activations, adds) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (stage, batch, time) in profiles)
            Console.WriteLine($"| {stage.Config.Name} | {batch} | {time.Total:F1} | {Share(time.Convolution, time.Total)} | {Share(time.Linear, time.Total)} | {Share(time.GroupNorm, time.Total)} | {Share(time.Rest, time.Total)} |");
    }

    /// <summary>
    /// What batching can gain at most: one image's denoising time through the cascade at each stage's default steps,
    /// alone (batch 1) and at the stage's cheapest batch size per image above, and their ratio: the most images per
    /// second any number of users can get over one user, from the denoisers alone (prompt encoding, upsampling,
    /// scoring, encoding and storing left out: they do not batch better).
    /// </summary>
    static void PrintThroughputBound(CascadeModel model, Dictionary<(DiffusionStage Stage, int Batch), double> perImageStep)
    {
        Console.WriteLine();
        Console.WriteLine("What batching can gain at most (one image's denoising at each stage's default steps; the rows above):");
        Console.WriteLine();
        Console.WriteLine("| stage | steps | alone: ms / image | cheapest batch | there: ms / image | batching saves |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        double alone = 0, best = 0;
        foreach (var stage in model.Stages)
        {
            int steps = stage.Config.DefaultSteps;
            double one = steps * perImageStep[(stage, 1)];
            var cheapest = perImageStep.Where(p => p.Key.Stage == stage).MinBy(p => p.Value);
            double batched = steps * cheapest.Value;
            (alone, best) = (alone + one, best + batched);
            Console.WriteLine($"| {stage.Config.Name} | {steps} | {one:F0} | {cheapest.Key.Batch} | {batched:F0} | {one - batched:F0} ms ({100 * (one - batched) / one:F0} %) |");
        }
        Console.WriteLine($"| cascade | | {alone:F0} | | {best:F0} | {alone / best:F2}x the images per second at most |");
    }

    /// <summary>
    /// A step of 8 images cut into passes of different row counts (the engine's rule: <see cref="DiffusionStage.MaxRowsPerPass"/>):
    /// whether the rule picks each stage's cheapest pass size on this machine.
    /// </summary>
    static void PrintPassSizes(CascadeModel model, int runs)
    {
        const int batch = 8;
        int[] slices = [1, 2, 4, 8, 16];
        Console.WriteLine();
        Console.WriteLine($"A step of {batch} images in passes of N rows (ms / image-step; the engine's rule in bold):");
        Console.WriteLine();
        Console.WriteLine($"| stage | rows | {string.Join(" | ", slices.Select(n => $"{n} rows a pass"))} |");
        Console.WriteLine($"|---|---:|{string.Concat(slices.Select(_ => "---:|"))}");
        foreach (var stage in model.Stages)
        {
            using var scope = NewDisposeScope();
            var input = Input(model, stage, batch, out _);
            long rule = Math.Min(stage.MaxRowsPerPass, input.Rows);
            var cells = slices.Select(n => n > input.Rows ? "" : $"{MedianMilliseconds(() => stage.Denoise(input, rowsPerPass: n), runs) / batch:F1}")
                .Select((cell, i) => slices[i] == rule ? $"**{cell}**" : cell);
            Console.WriteLine($"| {stage.Config.Name} | {input.Rows} | {string.Join(" | ", cells)} |{(slices.Contains((int)rule) ? "" : $" (rule: {rule} rows)")}");
        }
    }

    static string Share(double part, double total) => $"{part:F1} ms ({100 * part / total:F0} %)";

    /// <summary>One denoising step's network input at the stage's default guidance: both passes in one batch when guided.</summary>
    static DenoiserInput Input(CascadeModel model, DiffusionStage stage, int batch, out int passes)
    {
        var config = stage.Config;
        passes = config.DefaultGuidanceScale != 1 ? 2 : 1;
        int rows = passes * batch, side = config.Resolution;
        manual_seed(1);
        var text = stage.EncodeText(model.Tokenize(Enumerable.Range(0, rows).Select(i => i < batch ? "red heart" : "")));
        var timesteps = ScalarArguments.FullOf([rows], 500L, ScalarType.Int64, CPU);
        return config.UNet.IsRefiner
            ? new DenoiserInput(randn(rows, 3, side, side), timesteps, text, randn(rows, 3, side, side), ScalarArguments.FullOf([rows], config.LowResolutionNoiseLevel, ScalarType.Int64, CPU))
            : new DenoiserInput(randn(rows, 3, side, side), timesteps, text);
    }

    static double MatmulGflops(int runs)
    {
        using var scope = NewDisposeScope();
        var a = randn(1024, 1024);
        var b = randn(1024, 1024);
        double ms = MedianMilliseconds(() => a.matmul(b), runs);
        return 2.0 * 1024 * 1024 * 1024 / ms / 1e6;
    }

    /// <summary>Median wall time of <paramref name="runs"/> calls after five warm-ups (the first calls of a shape pick
    /// and cache oneDNN's kernels); each call's tensors are freed at once.</summary>
    static double MedianMilliseconds(Func<Tensor> call, int runs)
    {
        for (int i = 0; i < 5; i++)
        {
            using var warmUp = NewDisposeScope(); // a forward's intermediates too, not only its output
            call();
        }
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            call();
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[runs / 2];
    }
}
