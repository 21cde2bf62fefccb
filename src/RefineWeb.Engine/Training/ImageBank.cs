using System.Runtime.ExceptionServices;
using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Text;
using SkiaSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Training;

/// <summary>
/// The whole training set in memory: images as bytes [N, 3, S, S] (a 10k-image emoji set at 64 px is 130 MB) and
/// every caption tokenized once [N, C, L]. Batches are drawn by a caller's generator, so a run is reproducible and
/// resumes exactly. Lower resolutions are box-filtered (average pooling), the same downsampling the evaluation uses.
/// With <c>balanceGroups</c>, examples are drawn with probability 1 / (size of their group), so every group (one
/// emoji with all its styles and skin tones) is drawn equally often.
/// </summary>
public sealed class ImageBank : IDisposable
{
    readonly Tensor images;      // uint8 [N, 3, S, S]
    readonly Tensor tokens;      // int64 [N, C, L]
    readonly Tensor captionCounts; // int64 [N]
    readonly Tensor emptyCaption; // int64 [L]
    readonly Tensor? drawWeights; // float64 [N], null = uniform

    public IReadOnlyList<TrainingExample> Examples { get; }
    public int Resolution { get; }
    public int Count => Examples.Count;

    ImageBank(IReadOnlyList<TrainingExample> examples, int resolution, Tensor images, Tensor tokens, Tensor captionCounts, Tensor emptyCaption, Tensor? drawWeights)
    {
        this.drawWeights = drawWeights;
        Examples = examples;
        Resolution = resolution;
        this.images = images;
        this.tokens = tokens;
        this.captionCounts = captionCounts;
        this.emptyCaption = emptyCaption;
    }

    /// <summary>
    /// Decodes every image (in parallel) and tokenizes every caption. Every image must be <paramref name="resolution"/>
    /// square. <paramref name="balanceGroups"/>: draw each <see cref="TrainingExample.Group"/> equally often (an
    /// example without a group is a group of its own).
    /// </summary>
    public static ImageBank Load(IReadOnlyList<TrainingExample> examples, WordTokenizer tokenizer, int resolution = 64, bool balanceGroups = false)
    {
        if (examples.Count == 0) throw new ArgumentException("The training set is empty.", nameof(examples));
        int pixels = 3 * resolution * resolution;
        var bytes = new byte[examples.Count * pixels];
        try
        {
            Parallel.For(0, examples.Count, i => DecodeInto(bytes, i * pixels, examples[i], resolution));
        }
        catch (AggregateException e)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw(); // the first bad file, as itself
        }

        int maxCaptions = examples.Max(e => e.Captions.Count);
        if (maxCaptions == 0) throw new ArgumentException("Every training image needs at least one caption.", nameof(examples));
        var ids = new long[examples.Count * maxCaptions * tokenizer.MaxLength];
        var counts = new long[examples.Count];
        for (int i = 0; i < examples.Count; i++)
        {
            var captions = examples[i].Captions;
            if (captions.Count == 0) throw new ArgumentException($"Training image '{examples[i].Id}' has no caption.", nameof(examples));
            counts[i] = captions.Count;
            for (int c = 0; c < maxCaptions; c++)
            {
                var encoded = tokenizer.Encode(captions[Math.Min(c, captions.Count - 1)]).Ids;
                for (int t = 0; t < encoded.Length; t++) ids[(i * maxCaptions + c) * tokenizer.MaxLength + t] = encoded[t];
            }
        }
        var empty = tokenizer.Encode("").Ids.Select(id => (long)id).ToArray();
        return new ImageBank(examples, resolution,
            tensor(bytes, [examples.Count, 3, resolution, resolution]),
            tensor(ids, [examples.Count, maxCaptions, tokenizer.MaxLength]),
            tensor(counts), tensor(empty), balanceGroups ? GroupBalancedWeights(examples) : null);
    }

    static Tensor GroupBalancedWeights(IReadOnlyList<TrainingExample> examples)
    {
        var sizes = examples.Where(e => e.Group is not null).CountBy(e => e.Group!).ToDictionary();
        return tensor(examples.Select(e => e.Group is null ? 1.0 : 1.0 / sizes[e.Group]).ToArray());
    }

    static void DecodeInto(byte[] bytes, int offset, TrainingExample example, int resolution)
    {
        if (!File.Exists(example.ImagePath)) throw new FileNotFoundException($"Training image not found: {example.ImagePath}", example.ImagePath);
        using var bitmap = SKBitmap.Decode(example.ImagePath) ?? throw new InvalidDataException($"{example.ImagePath} is not a decodable image.");
        if (bitmap.Width != resolution || bitmap.Height != resolution)
            throw new InvalidDataException($"{example.ImagePath} is {bitmap.Width}x{bitmap.Height}; the training set is {resolution}x{resolution}.");
        using var opaque = WhiteComposite.Flatten(bitmap);
        using var rgba = opaque.Copy(SKColorType.Rgba8888);
        var source = rgba.Bytes;
        int plane = resolution * resolution;
        for (int p = 0; p < plane; p++)
        {
            bytes[offset + p] = source[4 * p];
            bytes[offset + plane + p] = source[4 * p + 1];
            bytes[offset + 2 * plane + p] = source[4 * p + 2];
        }
    }

    /// <summary>Random example indices [B]: uniform, or group-balanced (with replacement) when the bank was loaded so.</summary>
    public Tensor SampleIndices(int batchSize, Generator generator) => drawWeights is null
        ? randint(0, Count, [batchSize], dtype: ScalarType.Int64, generator: generator)
        : multinomial(drawWeights, batchSize, replacement: true, generator: generator);

    /// <summary>Images of the given examples at <paramref name="resolution"/> (a divisor of the stored one), floats in [-1, 1].</summary>
    public Tensor ImagesAt(Tensor indices, int resolution)
    {
        using var scope = NewDisposeScope();
        var batch = images.index_select(0, indices).to(ScalarType.Float32).Over(127.5).Minus(1);
        return Downsample(batch, resolution).MoveToOuterDisposeScope();
    }

    /// <summary>Box-filter downsampling by an integer factor (the identity at the same size).</summary>
    public static Tensor Downsample(Tensor images, int resolution)
    {
        long size = images.shape[^1];
        if (size == resolution) return images.alias();
        if (size % resolution != 0) throw new ArgumentException($"{size} px images cannot be box-filtered to {resolution} px.");
        int factor = (int)(size / resolution);
        return nn.functional.avg_pool2d(images, factor, factor);
    }

    /// <summary>
    /// One caption per example, chosen at random among its captions; with probability <paramref name="dropProbability"/>
    /// the empty caption instead (trains the unconditional branch of classifier-free guidance).
    /// </summary>
    public Tensor Captions(Tensor indices, Generator generator, double dropProbability = 0.0)
    {
        using var scope = NewDisposeScope();
        long batch = indices.shape[0];
        var choice = (rand([batch], generator: generator) * captionCounts.index_select(0, indices).to(ScalarType.Float32)).floor().to(ScalarType.Int64);
        var rows = tokens.index_select(0, indices);
        var picked = rows.gather(1, choice.view(-1, 1, 1).expand(-1, 1, rows.shape[2])).squeeze(1);
        var drop = rand([batch], generator: generator).LessThan(dropProbability).view(-1, 1);
        return where(drop, emptyCaption.unsqueeze(0).expand_as(picked), picked).MoveToOuterDisposeScope();
    }

    /// <summary>The first caption of each example (the plain label), for evaluation.</summary>
    public Tensor FirstCaptions(Tensor indices) => tokens.index_select(0, indices).select(1, 0);

    public void Dispose()
    {
        images.Dispose();
        tokens.Dispose();
        captionCounts.Dispose();
        emptyCaption.Dispose();
        drawWeights?.Dispose();
    }
}
