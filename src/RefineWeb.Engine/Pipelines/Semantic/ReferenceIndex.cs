using RefineWeb.Engine.Models;
using RefineWeb.Engine.Weights;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines.Semantic;

/// <summary>
/// The training images as the alignment model sees them: one unit embedding per image (clean, timestep 0). Semantic
/// guidance retrieves the images that best match an emphasized phrase (SeReDiff's text-image score matching at
/// inference) and steers towards them. Shipped beside the model as half-precision safetensors: a 10k-image index is
/// 2.6 MB and loads in milliseconds.
/// </summary>
public sealed class ReferenceIndex : IDisposable
{
    public const string FileName = "references.safetensors";
    const string EmbeddingsKey = "embeddings";

    /// <summary>[N, D] unit rows (float32, on the model's device).</summary>
    public Tensor Embeddings { get; }
    public int Count => (int)Embeddings.shape[0];

    ReferenceIndex(Tensor embeddings) => Embeddings = embeddings;

    /// <summary>Embeds images [N, 3, H, W] in [-1, 1], in batches, with the alignment model.</summary>
    public static ReferenceIndex Build(AlignmentModel alignment, IEnumerable<Tensor> imageBatches)
    {
        using var noGrad = no_grad();
        var device = alignment.parameters().First().device;
        var rows = new List<Tensor>();
        foreach (var batch in imageBatches)
        {
            using var scope = NewDisposeScope();
            var images = batch.to(device);
            rows.Add(alignment.EncodeImage(images, zeros([images.shape[0]], ScalarType.Int64, device)).MoveToOuterDisposeScope());
        }
        if (rows.Count == 0) throw new ArgumentException("The reference index needs at least one image.");
        var embeddings = cat(rows, 0);
        foreach (var row in rows) row.Dispose();
        return new ReferenceIndex(embeddings);
    }

    public void Save(string path)
    {
        using var half = Embeddings.detach().cpu().to(ScalarType.Float16).contiguous();
        SafetensorsFile.Write(path, [(EmbeddingsKey, "F16", half.shape, half.bytes.ToArray())],
            new Dictionary<string, string> { ["images"] = Count.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    /// <summary>Loads an index; the message names the file when it is damaged or does not fit the alignment model.</summary>
    public static ReferenceIndex Load(string path, int embeddingWidth, Device device)
    {
        var file = SafetensorsFile.Open(path);
        if (!file.Entries.TryGetValue(EmbeddingsKey, out var entry) || entry.Shape.Length != 2 || entry.Shape[1] != embeddingWidth)
            throw new SafetensorsFormatException($"{path} is not a reference index for this model: it needs '{EmbeddingsKey}' of shape [N, {embeddingWidth}].");
        using var stored = TensorWeights.Read(file, EmbeddingsKey);
        return new ReferenceIndex(nn.functional.normalize(stored.to(ScalarType.Float32, device), dim: 1));
    }

    /// <summary>
    /// For each query [P, D] (unit text embeddings), the normalized mean of the <paramref name="k"/> images it
    /// matches best: [P, D].
    /// </summary>
    public Tensor Retrieve(Tensor queries, int k)
    {
        using var scope = NewDisposeScope();
        var similarity = queries.matmul(Embeddings.t());
        var (_, nearest) = similarity.topk(Math.Min(k, Count), dim: 1);
        var mean = Embeddings.index_select(0, nearest.flatten()).view(queries.shape[0], -1, Embeddings.shape[1]).mean([1]);
        return nn.functional.normalize(mean, dim: 1).MoveToOuterDisposeScope();
    }

    public void Dispose() => Embeddings.Dispose();
}
