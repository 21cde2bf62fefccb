using RefineWeb.Engine.Models;
using RefineWeb.Engine.Pipelines.Semantic;
using RefineWeb.Engine.Text;
using RefineWeb.Engine.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Pipelines;

/// <summary>A loaded cascade: tokenizer and stages (coarsest first) on one device, in evaluation mode.</summary>
public sealed class CascadeModel : IDisposable
{
    public string Directory { get; }
    public CascadeManifest Manifest { get; }
    public WordTokenizer Tokenizer { get; }
    public IReadOnlyList<DiffusionStage> Stages { get; }
    public Device Device { get; }
    /// <summary>The alignment model (scoring, semantic guidance), or null when the folder has none.</summary>
    public AlignmentModel? Alignment { get; }
    /// <summary>The training images' alignment embeddings (semantic guidance's references), or null when not shipped.</summary>
    public ReferenceIndex? References { get; }
    /// <summary>What the alignment model's scores mean in words, measured on validation pictures; null when not calibrated.</summary>
    public ScoreCalibration? ScoreCalibration { get; }
    /// <summary>Known words close in meaning to words the model does not know; <see cref="WordMeanings.None"/> when the folder has no index.</summary>
    public WordMeanings WordMeanings { get; }

    CascadeModel(string directory, CascadeManifest manifest, WordTokenizer tokenizer, IReadOnlyList<DiffusionStage> stages, AlignmentModel? alignment,
        ReferenceIndex? references, Device device)
    {
        Alignment = alignment;
        ScoreCalibration = alignment is null ? null : ScoreCalibration.Load(directory);
        WordMeanings = WordMeanings.Load(directory);
        References = references;
        Directory = directory;
        Manifest = manifest;
        Tokenizer = tokenizer;
        Stages = stages;
        Device = device;
    }

    /// <summary>Loads the model onto the device <paramref name="device"/> resolves to (auto: CUDA when there is one).</summary>
    public static CascadeModel Load(string directory, Runtime.ComputeDevice device) => Load(directory, Runtime.TorchRuntime.Resolve(device));

    /// <summary>Where the model runs, in words ("cpu", "cuda").</summary>
    public string DeviceName => Device.type.ToString().ToLowerInvariant();

    /// <summary>
    /// Loads a model folder. Every missing or malformed file raises an exception whose message names it.
    /// <paramref name="randomWeights"/> skips the weights files and keeps seeded random initial weights
    /// (for development before a model is trained: the images are noise).
    /// </summary>
    public static CascadeModel Load(string directory, Device device, bool randomWeights = false, long initSeed = 0)
    {
        var manifest = CascadeManifest.Load(directory);
        var configs = manifest.Stages.Select(s => StageConfig.Load(CascadeManifest.StageConfigPath(directory, s))).ToList();
        int maxLength = configs.Count > 0 ? configs[0].TextEncoder.MaxLength
            : AlignmentConfig.Load(CascadeManifest.StageConfigPath(directory, manifest.Alignment!)).TextEncoder.MaxLength;
        var tokenizer = WordTokenizer.Load(Path.Combine(directory, manifest.Tokenizer), maxLength);
        foreach (var config in configs)
            if (config.TextEncoder.VocabularySize != tokenizer.VocabularySize)
                throw new InvalidDataException($"Stage '{config.Name}' expects a vocabulary of {config.TextEncoder.VocabularySize} words; {manifest.Tokenizer} has {tokenizer.VocabularySize}.");

        var stages = new List<DiffusionStage>();
        AlignmentModel? alignment = null;
        ReferenceIndex? references = null;
        try
        {
            manual_seed(initSeed);
            foreach (var config in configs)
            {
                var stage = new DiffusionStage(config);
                stages.Add(stage);
                if (!randomWeights) TensorWeights.Load(stage, CascadeManifest.StageWeightsPath(directory, config.Name));
                stage.to(device);
                stage.eval();
            }
            if (manifest.Alignment is { } name && File.Exists(CascadeManifest.StageConfigPath(directory, name)))
            {
                var config = AlignmentConfig.Load(CascadeManifest.StageConfigPath(directory, name));
                if (config.TextEncoder.VocabularySize != tokenizer.VocabularySize)
                    throw new InvalidDataException($"The alignment model expects a vocabulary of {config.TextEncoder.VocabularySize} words; {manifest.Tokenizer} has {tokenizer.VocabularySize}.");
                alignment = new AlignmentModel(config);
                if (!randomWeights) TensorWeights.Load(alignment, CascadeManifest.StageWeightsPath(directory, name));
                alignment.to(device);
                alignment.eval();
                // Guidance differentiates with respect to images only; frozen weights keep their graph out of it.
                foreach (var parameter in alignment.parameters()) parameter.requires_grad = false;
                var indexPath = Path.Combine(directory, manifest.References);
                if (!randomWeights && File.Exists(indexPath)) references = ReferenceIndex.Load(indexPath, config.EmbeddingWidth, device);
            }
        }
        catch
        {
            foreach (var stage in stages) stage.Dispose();
            alignment?.Dispose();
            throw;
        }
        return new CascadeModel(directory, manifest, tokenizer, stages, alignment, references, device);
    }

    /// <summary>The words of <paramref name="text"/> the model does not know, each once, with known words close to them.</summary>
    public IReadOnlyList<UnknownWord> UnknownWords(string text) => Tokenizer.UnknownWords(text, WordMeanings);

    /// <summary>Token ids [N, L] for the given texts, on the model's device.</summary>
    public Tensor Tokenize(IEnumerable<string> texts)
    {
        var rows = texts.Select(t => Tokenizer.Encode(t).Ids).ToArray();
        var flat = rows.SelectMany(r => r.Select(id => (long)id)).ToArray();
        return tensor(flat, [rows.Length, Tokenizer.MaxLength], device: Device);
    }

    public void Dispose()
    {
        foreach (var stage in Stages) stage.Dispose();
        Alignment?.Dispose();
        References?.Dispose();
    }
}
