using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Models;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Schedulers;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Training;

/// <summary>
/// Contrastive (CLIP) loss of the alignment model. Images come at a random cascade resolution (16, 32 or 64 px), and
/// half of them noised to a random timestep, so that the model scores every stage's partly denoised estimates. Items
/// of the batch that share a caption (the same emoji in several styles) all count as matches.
/// </summary>
public sealed class AlignmentObjective(AlignmentModel model, Device? device = null, int[]? resolutions = null) : ITrainingObjective
{
    readonly NoiseSchedule schedule = new(trainTimesteps: model.Config.TrainTimesteps);
    readonly int[] resolutions = resolutions ?? [16, 32, 64];

    public nn.Module Module => model;

    public Tensor Loss(ImageBank bank, Generator generator, TrainingOptions options)
    {
        int batch = options.BatchSize;
        var indices = bank.SampleIndices(batch, generator);
        var captions = bank.Captions(indices, generator);
        int pick = (int)randint(0, resolutions.Length, [1], dtype: ScalarType.Int64, generator: generator).item<long>();
        var clean = bank.ImagesAt(indices, Math.Min(resolutions[pick], bank.Resolution));

        var noised = rand([batch], generator: generator).LessThan(0.5);
        var timesteps = randint(0, schedule.TrainTimesteps, [batch], dtype: ScalarType.Int64, generator: generator) * noised;
        var images = schedule.AddNoise(clean, randn(clean.shape, generator: generator), timesteps);
        var target = device ?? CPU;
        (images, timesteps, captions) = (images.to(target), timesteps.to(target), captions.to(target));

        var logits = model.LogitScale * model.EncodeImage(images, timesteps).matmul(model.EncodeText(captions).t());
        var same = captions.unsqueeze(1).eq(captions.unsqueeze(0)).all(-1).to(ScalarType.Float32);
        var targets = same / same.sum(1, keepdim: true);
        var imageToText = -(targets * logits.log_softmax(1)).sum(1).mean();
        var textToImage = -(targets * logits.t().log_softmax(1)).sum(1).mean();
        return imageToText.Plus(textToImage).Over(2);
    }

    /// <summary>For eight fixed captions: the true image, then the four best-matching images among 512 of the set.</summary>
    public byte[] SampleGrid(ImageBank bank, TrainingOptions options)
    {
        using var scope = NewDisposeScope();
        int pool = Math.Min(512, bank.Count);
        var candidates = tensor(Enumerable.Range(0, pool).Select(i => (long)(i * (bank.Count - 1) / Math.Max(pool - 1, 1))).ToArray());
        var queries = candidates.index_select(0, tensor(Enumerable.Range(0, 8).Select(i => (long)(i * (pool - 1) / 7)).ToArray()));
        var target = device ?? CPU;
        var images = bank.ImagesAt(candidates, 32);
        var imageEmbeddings = model.EncodeImage(images.to(target), zeros([pool], ScalarType.Int64, target));
        var scores = model.EncodeText(bank.FirstCaptions(queries).to(target)).matmul(imageEmbeddings.t());
        var best = scores.topk(4, dim: 1).indexes.cpu();
        var rows = new List<Tensor>();
        for (int q = 0; q < 8; q++)
            rows.Add(cat([bank.ImagesAt(queries[q].unsqueeze(0), 32), images.index_select(0, best[q])], 0));
        return ImageGrid.ToPng(rows);
    }
}
