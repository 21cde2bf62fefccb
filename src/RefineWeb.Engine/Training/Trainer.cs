using System.Diagnostics;
using RefineWeb.Engine.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Training;

/// <summary>
/// The training loop shared by every stage: AdamW with warm-up and cosine decay, gradient clipping, EMA, a CSV log,
/// sample grids and a resumable checkpoint in <paramref name="workDirectory"/>. Each step draws its batch from a
/// generator seeded by (seed, step), so a resumed run sees exactly the batches an uninterrupted one would.
/// </summary>
public sealed class Trainer(ITrainingObjective objective, ImageBank bank, TrainingOptions options, string workDirectory, string stageName)
{
    public string CheckpointDirectory => workDirectory;
    public string LogPath => Path.Combine(workDirectory, "log.csv");
    public string SamplesDirectory => Path.Combine(workDirectory, "samples");

    /// <summary>
    /// Trains up to <see cref="TrainingOptions.Steps"/>, then writes the EMA weights to <paramref name="exportPath"/>. Returns the steps done.
    /// <paramref name="initialWeights"/> (a stage's exported weights) starts a new run from trained weights instead of
    /// random ones: fine-tuning, or going on with a model whose checkpoint is gone. Its steps count on in the export.
    /// </summary>
    public int Run(bool resume, string exportPath, Action<TrainingProgress>? onProgress = null, Action<string>? onNote = null,
        CancellationToken cancellation = default, string? initialWeights = null)
    {
        options.Validate();
        if (resume && initialWeights is not null)
            throw new ArgumentException("Initial weights start a new run; a resumed run takes its weights from the checkpoint. Give one or the other.");
        var module = objective.Module;
        long priorSteps = initialWeights is null ? 0 : LoadInitialWeights(module, initialWeights, onNote);
        module.train();
        var parameters = module.named_parameters().Select(p => (p.name, p.parameter)).ToList();
        using var optimizer = new AdamW(parameters, options.LearningRate);
        using var ema = new ExponentialMovingAverage(module, options.EmaDecay);

        int step = 0;
        if (resume)
        {
            if (!TrainingCheckpoint.Exists(workDirectory))
                throw new FileNotFoundException($"--resume: no checkpoint in {Path.GetFullPath(workDirectory)}.", Path.Combine(workDirectory, TrainingCheckpoint.WeightsFile));
            (step, priorSteps, bool restored) = TrainingCheckpoint.Load(workDirectory, module, ema, optimizer, stageName);
            onNote?.Invoke($"resumed at step {step}{(restored ? "" : " (the checkpoint has no optimizer state: AdamW moments start afresh)")}");
        }
        else if (File.Exists(LogPath))
        {
            File.Delete(LogPath); // a fresh run starts a fresh log
        }
        Directory.CreateDirectory(SamplesDirectory);
        using var log = new TrainingLog(LogPath, step);

        var clock = Stopwatch.StartNew();
        var window = Stopwatch.StartNew();
        double lossSum = 0;
        int lossCount = 0, startStep = step, skipped = 0;
        while (step < options.Steps)
        {
            cancellation.ThrowIfCancellationRequested();
            double learningRate = options.LearningRateAt(step);
            optimizer.LearningRate = learningRate;
            using (var scope = NewDisposeScope())
            using (var generator = new Generator(StepSeed(options.Seed, step)))
            {
                optimizer.ZeroGrad();
                var loss = objective.Loss(bank, generator, options);
                double value = loss.item<float>();
                if (!double.IsFinite(value)) throw new InvalidOperationException($"The loss became {value} at step {step + 1}; lower the learning rate.");
                loss.backward();
                // A non-finite gradient (a rare libtorch CPU kernel fault, see ConditionalUNet.OutputConvolution)
                // skips the update instead of poisoning the weights; the log counts skips.
                var trainable = optimizer.Parameters.ToList();
                if (GradientsAreFinite(trainable))
                {
                    nn.utils.clip_grad_norm_(trainable, options.GradientClip);
                    optimizer.Step();
                }
                else
                {
                    skipped++;
                }
                lossSum += value;
                lossCount++;
            }
            step++;
            // Counted from the initial weights' steps: an average that starts from trained weights keeps its full decay.
            ema.Update(module, priorSteps + step);

            if (step % options.LogEvery == 0 || step == options.Steps)
            {
                double seconds = window.Elapsed.TotalSeconds;
                double perSecond = lossCount * options.BatchSize / Math.Max(seconds, 1e-9);
                double stepsPerSecond = (step - startStep) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                var progress = new TrainingProgress(step, options.Steps, lossSum / lossCount, learningRate, perSecond, clock.Elapsed,
                    TimeSpan.FromSeconds((options.Steps - step) / Math.Max(stepsPerSecond, 1e-9)), skipped);
                log.Write(progress);
                onProgress?.Invoke(progress);
                lossSum = 0;
                lossCount = 0;
                window.Restart();
            }
            if (step % options.SampleEvery == 0 || step == options.Steps)
            {
                var path = Path.Combine(SamplesDirectory, $"step{step:D6}.png");
                using (new EmaScope(module, ema))
                using (no_grad())
                    File.WriteAllBytes(path, objective.SampleGrid(bank, options));
                onNote?.Invoke($"wrote {path}");
            }
            if (step % options.CheckpointEvery == 0 || step == options.Steps)
                TrainingCheckpoint.Save(workDirectory, module, ema, optimizer, step, stageName, priorSteps);
        }

        using (new EmaScope(module, ema))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(exportPath))!);
            TensorWeights.Save(module, exportPath, new Dictionary<string, string> { ["stage"] = stageName, ["trained_steps"] = (priorSteps + step).ToString() });
        }
        onNote?.Invoke($"wrote {exportPath}");
        return step;
    }

    /// <summary>Copies exported weights into the module; returns the steps they were trained for (their metadata, else 0).</summary>
    static long LoadInitialWeights(nn.Module module, string path, Action<string>? onNote)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No initial weights at {Path.GetFullPath(path)}.", path);
        var widened = TensorWeights.Load(module, path, widenInputs: true);
        if (widened.Count > 0) onNote?.Invoke($"widened {string.Join(", ", widened)} with new input channels at zero");
        long trained = long.TryParse(SafetensorsFile.Open(path).Metadata.GetValueOrDefault("trained_steps"), out long n) ? n : 0;
        onNote?.Invoke($"started from {path} ({trained} steps trained)");
        return trained;
    }

    static bool GradientsAreFinite(IReadOnlyList<Parameter> parameters)
    {
        using var scope = NewDisposeScope();
        var sums = parameters.Where(p => p.grad is not null).Select(p => p.grad!.sum()).ToArray();
        return sums.Length == 0 || stack(sums).sum().isfinite().item<bool>();
    }

    static ulong StepSeed(long seed, int step) => unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)step * 0xBF58476D1CE4E5B9UL + 1);
}
