using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Models;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Schedulers;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Training;

/// <summary>
/// Denoising loss of one cascade stage (MSE against the schedule's target, v by default) at uniformly drawn
/// timesteps. A refiner is conditioned on the ground truth at half its resolution, box-downsampled then bicubic
/// upsampled and noised to a random augmentation level (cascaded diffusion's noise-conditioning augmentation), and
/// may train on random crops since it is fully convolutional. A residual refiner learns the scaled difference between
/// the image and that bicubic upsampling (before the augmentation noise). With an edge loss weight, the predicted
/// image's edges are pulled towards the truth's as well (<see cref="EdgeLoss"/>). A stage with a layout channel trains
/// on synthetic layouts as well (<see cref="TrainingOptions.LayoutShare"/>, <see cref="SyntheticLayouts"/>).
/// </summary>
public sealed class DiffusionObjective(DiffusionStage stage, Device? device = null) : ITrainingObjective
{
    readonly NoiseSchedule schedule = stage.Config.Schedule.Create();

    public nn.Module Module => stage;
    public DiffusionStage Stage => stage;

    public Tensor Loss(ImageBank bank, Generator generator, TrainingOptions options)
    {
        var config = stage.Config;
        int resolution = config.Resolution, batch = options.BatchSize;
        var indices = bank.SampleIndices(batch, generator);
        var captions = bank.Captions(indices, generator, options.CaptionDropout);
        var clean = bank.ImagesAt(indices, resolution);

        Tensor? lowResolution = null, levels = null, residualBase = null, layout = null;
        if (config.UNet.LayoutChannels > 0 && options.LayoutShare > 0)
        {
            var placements = SyntheticLayouts.Draw(batch, options.LayoutShare, generator);
            var others = bank.SampleIndices(batch, generator);
            (clean, layout) = SyntheticLayouts.Compose(clean, bank.ImagesAt(indices, resolution / 2), bank.ImagesAt(others, resolution),
                bank.ImagesAt(others, resolution / 2), placements);
        }
        var image = clean; // the truth as a picture, for the edge loss
        if (config.UNet.IsRefiner)
        {
            var upsampled = StageSampling.UpsampleForRefiner(bank.ImagesAt(indices, resolution / 2), resolution);
            levels = randint(0, options.MaxAugmentationLevel + 1, [batch], dtype: ScalarType.Int64, generator: generator);
            lowResolution = schedule.AddNoise(upsampled, randn(upsampled.shape, generator: generator), levels);
            if (config.DenoisesResidual) (clean, residualBase) = ((clean - upsampled).Times(config.ResidualScale), upsampled);
        }
        if (options.CropSize > 0 && options.CropSize < resolution)
        {
            int crop = options.CropSize, multiple = config.UNet.SizeMultiple;
            if (crop % multiple != 0) throw new ArgumentException($"The crop size must be a multiple of {multiple} for stage '{config.Name}'.");
            var offsets = randint(0, resolution - crop + 1, [2], dtype: ScalarType.Int64, generator: generator).data<long>().ToArray();
            Tensor? Crop(Tensor? t) => t?[.., .., TensorIndex.Slice(offsets[0], offsets[0] + crop), TensorIndex.Slice(offsets[1], offsets[1] + crop)];
            (clean, lowResolution, residualBase, image) = (Crop(clean)!, Crop(lowResolution), Crop(residualBase), Crop(image)!);
        }

        var timesteps = randint(0, schedule.TrainTimesteps, [batch], dtype: ScalarType.Int64, generator: generator);
        var noise = randn(clean.shape, generator: generator);
        // Batches are drawn on the CPU (reproducible generators) and moved once to the training device.
        var target = device ?? CPU;
        (clean, noise, timesteps, captions) = (clean.to(target), noise.to(target), timesteps.to(target), captions.to(target));
        (lowResolution, levels, layout) = (lowResolution?.to(target), levels?.to(target), layout?.to(target));
        var noisy = schedule.AddNoise(clean, noise, timesteps);
        var text = stage.EncodeText(captions);
        var prediction = stage.Denoise(new DenoiserInput(noisy, timesteps, text, lowResolution, levels, Layout: layout));
        var truth = schedule.TrainingTarget(clean, noise, timesteps);
        // A layout row's loss counts its own region only: what the rest of its canvas holds is another prompt's.
        var loss = layout is null ? nn.functional.mse_loss(prediction, truth)
            : ((prediction - truth).Power(2) * layout).sum() / layout.sum().Times(prediction.shape[1]);
        if (options.EdgeLossWeight <= 0) return loss;
        var predicted = schedule.PredictedOriginal(prediction, timesteps, noisy);
        if (residualBase is not null) predicted = residualBase.to(target).Plus(predicted.Over(config.ResidualScale));
        return loss.Plus(EdgeLoss(predicted, image.to(target)).Times(options.EdgeLossWeight));
    }

    /// <summary>L1 distance between the images' horizontal and vertical neighbour differences (their edges).</summary>
    public static Tensor EdgeLoss(Tensor predicted, Tensor truth)
    {
        static (Tensor X, Tensor Y) Edges(Tensor t) => (t[.., .., .., 1..] - t[.., .., .., ..^1], t[.., .., 1.., ..] - t[.., .., ..^1, ..]);
        var (px, py) = Edges(predicted);
        var (tx, ty) = Edges(truth);
        return nn.functional.l1_loss(px, tx).Plus(nn.functional.l1_loss(py, ty));
    }

    /// <summary>
    /// Base: generated images (top) for eight fixed captions above their training images. Refiner: the bicubic input,
    /// the refined output and the ground truth for eight fixed images.
    /// </summary>
    public byte[] SampleGrid(ImageBank bank, TrainingOptions options)
    {
        using var scope = NewDisposeScope();
        var config = stage.Config;
        var target = device ?? CPU;
        var indices = tensor(Enumerable.Range(0, 8).Select(i => (long)(i * (bank.Count - 1) / 7)).ToArray());
        var captions = bank.FirstCaptions(indices).to(target);
        var empty = bank.Captions(indices, new Generator(0), 1.0 - 1e-9).to(target);
        var generators = Enumerable.Range(0, 8).Select(i => new Generator((ulong)i, target)).ToList();
        try
        {
            var truth = bank.ImagesAt(indices, config.Resolution).to(target);
            var settings = new StageSamplingSettings(config.DefaultSteps, config.DefaultGuidanceScale);
            if (!config.UNet.IsRefiner)
            {
                var generated = StageSampling.Run(stage, cat([captions, empty], 0), null, generators, settings);
                return ImageGrid.ToPng([generated, truth]);
            }
            var lower = bank.ImagesAt(indices, config.Resolution / 2).to(target);
            var refined = StageSampling.Run(stage, cat([captions, empty], 0), lower, generators, settings);
            return ImageGrid.ToPng([StageSampling.UpsampleForRefiner(lower, config.Resolution), refined, truth]);
        }
        finally
        {
            foreach (var g in generators) g.Dispose();
        }
    }
}
