using System.Text.Json;
using RefineWeb.Engine.Models;

namespace RefineWeb.Engine.Pipelines;

/// <summary>
/// cascade.json in a model folder: the tokenizer's vocabulary file and the stages, coarsest first. Each stage has
/// "{name}.json" (<see cref="StageConfig"/>) and "{name}.safetensors" beside it.
/// </summary>
public sealed record CascadeManifest
{
    public const string FileName = "cascade.json";

    public string Name { get; init; } = "emoji-cascade-v1";
    /// <summary>What the model can draw, in a phrase a person reads next to the prompt ("emoji: objects, animals, ..."); optional.</summary>
    public string? Description { get; init; }
    public string Tokenizer { get; init; } = "vocab.txt";
    public string[] Stages { get; init; } = ["base", "refiner32", "refiner64"];
    /// <summary>The alignment model ("{name}.json" and "{name}.safetensors"), used for scoring and semantic guidance.</summary>
    public string? Alignment { get; init; } = "align";
    /// <summary>The alignment model's embeddings of the training images (semantic guidance's references); optional.</summary>
    public string References { get; init; } = Semantic.ReferenceIndex.FileName;
    /// <summary>
    /// Strength of semantic guidance for emphasized words, tuned per model with `refineweb eval --semantic`; the
    /// defaults are the setting measured for emoji-cascade-v1 (see its model card).
    /// </summary>
    public double SemanticGuidanceScale { get; init; } = 3000;
    /// <summary>How many stages, from the base up, get the semantic gradient (null: all); token re-weighting applies to all.</summary>
    public int? SemanticGuidanceStages { get; init; } = 2;
    /// <summary>
    /// The share of the scale each guided stage gets, from the base up (stages past the list: 1). A refiner sees a
    /// picture whose layout is already set, so it needs only a nudge where the base needs a push.
    /// </summary>
    public double[]? SemanticGuidanceStageFactors { get; init; } = [1, 0.1];

    /// <summary>
    /// Keep the whole prompt while emphasizing: the part of the phrase gradient that would lower the image's alignment
    /// with the plain prompt is projected out (PCGrad-style), for images whose phrases are all emphasized (weight at
    /// least 1; pushing a phrase away is meant to move off the prompt).
    /// </summary>
    public bool SemanticGuidanceKeepsPrompt { get; init; } = true;

    /// <summary>
    /// What keeping the prompt keeps: the prompt's other words (the prompt with its emphasized phrases taken out)
    /// instead of the whole prompt. The whole prompt contains the phrase, so its gradient mostly agrees with the
    /// phrase's and misses the conflict that matters: "(blue:1.5) apple" pulling towards blue things the alignment
    /// model knows (hearts, circles) and away from "apple" (issue 25's composition measurement).
    /// </summary>
    public bool SemanticGuidanceKeepsOtherWords { get; init; }

    /// <summary>
    /// How hard what is kept holds the picture's shape while a phrase pulls: this share of its own alignment gradient,
    /// in brightness only, is added to each step (0: it is only protected from the phrase's conflicting part). Only
    /// with <see cref="SemanticGuidanceKeepsPrompt"/>. Tuned per model with `refineweb eval --composition` and `--semantic`.
    /// </summary>
    public double SemanticGuidanceAnchor { get; init; }

    /// <summary>
    /// Brush &amp; refine: where the refiners above the base start in their schedule inside the region (null: the
    /// region's own strength at every stage). A refiner's one or two steps from the region's strength (0.75) leave a
    /// flat patch with a visible border; from half the noise they keep the base's blended layout and only sharpen it
    /// (`refineweb eval --harmonization`: visible seams 77 % -> 19 % on the built-in model).
    /// </summary>
    public double? RegionRefinerStrength { get; init; }

    /// <summary>The share of the semantic scale stage <paramref name="index"/> gets: 0 above the guided stages.</summary>
    public double SemanticGuidanceFactor(int index) =>
        index >= (SemanticGuidanceStages ?? int.MaxValue) ? 0
        : SemanticGuidanceStageFactors is { } factors && index < factors.Length ? factors[index] : 1;

    public static CascadeManifest Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"No model at {Path.GetFullPath(directory)}: {FileName} is missing.", path);
        try
        {
            var manifest = JsonSerializer.Deserialize<CascadeManifest>(File.ReadAllText(path), ModelJson.Options)
                ?? throw new InvalidDataException($"{path} is empty.");
            // An alignment model alone is a judge (kept with the evaluation): it scores pictures and makes none.
            if (manifest.Stages.Length == 0 && manifest.Alignment is null) throw new InvalidDataException($"{path} lists no stages and no alignment model.");
            if (manifest.SemanticGuidanceStageFactors?.Any(f => f < 0 || !double.IsFinite(f)) == true)
                throw new InvalidDataException($"{path}: semantic_guidance_stage_factors must be finite and not negative.");
            if (manifest.SemanticGuidanceAnchor < 0 || !double.IsFinite(manifest.SemanticGuidanceAnchor))
                throw new InvalidDataException($"{path}: semantic_guidance_anchor must be finite and not negative.");
            if (manifest.RegionRefinerStrength is { } regionStrength && !(regionStrength > 0 && regionStrength <= 1))
                throw new InvalidDataException($"{path}: region_refiner_strength must be above 0 and at most 1.");
            return manifest;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a valid cascade manifest: {e.Message}", e);
        }
    }

    public void Save(string directory) =>
        File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, ModelJson.Options));

    public static string StageConfigPath(string directory, string stage) => Path.Combine(directory, stage + ".json");
    public static string StageWeightsPath(string directory, string stage) => Path.Combine(directory, stage + ".safetensors");
}
