using System.CommandLine;
using RefineWeb.Datasets;
using RefineWeb.Engine.Text;

namespace RefineWeb.Cli.Commands;

/// <summary><c>refineweb data build</c>: the emoji training set from npm packages.</summary>
static class DataCommands
{
    public const string VocabularyName = "vocab.txt";

    public static Command Create(TextWriter output)
    {
        var outOption = new Option<string>("--out") { Description = "Folder for manifest.jsonl, images and vocab.txt.", DefaultValueFactory = _ => "data/emoji" };
        var cacheOption = new Option<string>("--cache") { Description = "Folder for npm tarballs (reused when present).", DefaultValueFactory = _ => "data/npm" };
        var limitOption = new Option<int?>("--limit") { Description = "Only the first N emoji (quick runs)." };
        var shareOption = new Option<double>("--validation-share") { Description = "Share of emoji holding one style out for validation.", DefaultValueFactory = _ => 0.05 };
        var recolourOption = new Option<int>("--recolour") { Description = "Recoloured copies per eligible training image (colour and object apart: \"blue apple\"); 0 = none.", DefaultValueFactory = _ => 0 };
        var recolourSeed = new Option<long>("--recolour-seed") { Description = "Seed of the copies' colours.", DefaultValueFactory = _ => 1 };
        var build = new Command("build", "Fetch the emoji packages with npm pack, rasterize, caption, split, and write manifest.jsonl.")
        {
            outOption, cacheOption, limitOption, shareOption, recolourOption, recolourSeed,
        };
        build.SetAction((parse, cancellation) => CliErrors.Guard(async () =>
        {
            var share = parse.GetValue(shareOption);
            if (share is < 0 or >= 1) throw new ArgumentException("--validation-share must be in [0, 1).");
            if (parse.GetValue(recolourOption) is < 0 or > 9) throw new ArgumentException("--recolour must be between 0 and 9 (there are 10 colour words).");
            var options = new DatasetBuildOptions
            {
                OutputDirectory = parse.GetValue(outOption)!,
                PackageCache = parse.GetValue(cacheOption)!,
                Limit = parse.GetValue(limitOption),
                ValidationShare = share,
                RecolourCopies = parse.GetValue(recolourOption),
                RecolourSeed = parse.GetValue(recolourSeed),
            };
            var records = await new DatasetBuilder(options, output.WriteLine).BuildAsync(cancellation);
            // From the original captions only: recoloured copies reuse their words, and the vocabulary (ordered by
            // frequency) stays the same with or without them, so a model trained on one set reads the other.
            var vocabulary = WordTokenizer.BuildVocabulary(records.Where(r => r.Parent is null).SelectMany(r => r.Captions));
            WordTokenizer.SaveVocabulary(vocabulary, Path.Combine(options.OutputDirectory, VocabularyName));
            await output.WriteLineAsync($"{vocabulary.Count} words -> {Path.Combine(options.OutputDirectory, VocabularyName)}");
            return 0;
        }));
        return new Command("data", "Build the training data.") { build };
    }
}
