using RefineWeb.Cli.Meanings;
using RefineWeb.Datasets.Emoji;
using RefineWeb.Datasets.Lexicon;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Text;

namespace RefineWeb.Cli.Tests;

/// <summary>
/// <c>refineweb model index-meanings</c> on a small WordNet in its own file format (the lines as wndb(5) describes
/// them) and a small emojibase: which known words an unknown word is offered, and the file the model then reads.
/// </summary>
public sealed class IndexMeaningsCommandTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("refineweb-meanings-").FullName;
    string WordNetDirectory => Path.Combine(root, "wordnet");
    string EmojibaseDirectory => Path.Combine(root, "emojibase");
    string ModelDirectory => Path.Combine(root, "model");

    // "hill" has two senses: an elevation (whose siblings are mountain and mount) and, rarer, a work (a structure).
    const string Nouns = """
          1 This software and database is being provided to you, the LICENSEE, by Princeton University
        00000001 03 n 02 natural_elevation 0 elevation 0 002 ~ 00000002 n 0000 ~ 00000003 n 0000 | a raised or elevated geological formation
        00000002 17 n 01 hill 0 001 @ 00000001 n 0000 | a local and well-defined elevation of the land; "they roamed the hills"
        00000003 17 n 02 mountain 0 mount 0 001 @ 00000001 n 0000 | a land mass that projects well above its surroundings
        00000004 06 n 01 hill 0 001 @ 00000005 n 0000 | structure resembling a hill
        00000005 06 n 01 work 0 000 | something produced
        """;
    const string NounIndex = """
          1 This software and database is being provided to you, the LICENSEE, by Princeton University
        hill n 2 1 @ 2 0 00000002 00000004
        mountain n 1 1 @ 1 0 00000003
        mount n 1 1 @ 1 0 00000003
        natural_elevation n 1 1 ~ 1 0 00000001
        elevation n 1 1 ~ 1 0 00000001
        work n 1 0 1 0 00000005
        """;
    const string Adjectives = "00000010 00 a 01 huge(a) 0 000 | unusually great in size\n";
    const string AdjectiveIndex = "huge a 1 0 1 0 00000010\n";

    public IndexMeaningsCommandTests()
    {
        RefineWeb.Engine.Runtime.TorchRuntime.Initialize();
        Directory.CreateDirectory(WordNetDirectory);
        File.WriteAllText(Path.Combine(WordNetDirectory, "data.noun"), Nouns);
        File.WriteAllText(Path.Combine(WordNetDirectory, "index.noun"), NounIndex);
        File.WriteAllText(Path.Combine(WordNetDirectory, "data.adj"), Adjectives);
        File.WriteAllText(Path.Combine(WordNetDirectory, "index.adj"), AdjectiveIndex);
        foreach (var part in new[] { "verb", "adv" })
        {
            File.WriteAllText(Path.Combine(WordNetDirectory, "data." + part), "");
            File.WriteAllText(Path.Combine(WordNetDirectory, "index." + part), "");
        }
        Directory.CreateDirectory(Path.Combine(EmojibaseDirectory, "en"));
        File.WriteAllText(Path.Combine(EmojibaseDirectory, "en", "data.json"), """
            [{"label":"snow-capped mountain","hexcode":"1F3D4","tags":["cold","mountain","snow","peak"],"group":5},
             {"label":"red heart","hexcode":"2764","tags":["heart","love","red"],"group":0}]
            """);
        CascadeBlueprint.Write(ModelDirectory, WordTokenizer.BuildVocabulary(["mountain", "mount snow", "work", "red heart", "land"]), CascadePreset.Tiny);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void WordNet_is_read_with_senses_commonest_first_and_adjective_markers_dropped()
    {
        var wordNet = WordNetDatabase.Load(WordNetDirectory);
        var hill = wordNet.Senses("hill");
        Assert.Equal(["n:00000002", "n:00000004"], hill.Select(s => s.Key));
        Assert.Equal("a local and well-defined elevation of the land; \"they roamed the hills\"", hill[0].Gloss);
        Assert.Equal([new WordNetLink("@", "n:00000001")], hill[0].Links);
        Assert.Equal(["mountain", "mount"], wordNet.Synset("n:00000003").Lemmas);
        Assert.Equal(["huge"], wordNet.Senses("huge").Single().Lemmas);
        Assert.Empty(wordNet.Senses("qwzx"));
        Assert.Throws<FileNotFoundException>(() => WordNetDatabase.Load(root));
    }

    [Fact]
    public void A_words_neighbours_are_its_common_senses_siblings_before_its_rarer_senses_and_the_emoji_that_use_it()
    {
        var wordNet = WordNetDatabase.Load(WordNetDirectory);
        var known = WordTokenizer.Load(Path.Combine(ModelDirectory, "vocab.txt")).Knows;
        var emoji = EmojiCatalog.Load(EmojibaseDirectory);
        var emojiTexts = WordNetNeighbourhoods.EmojiTexts(emoji);
        var hill = WordNetNeighbourhoods.Of("hill", wordNet, emojiTexts, known);
        var distances = hill.Candidates.ToDictionary(c => c.Word, c => c.Distance);
        Assert.Equal(2.0, distances["mountain"]); // a sibling under "natural elevation"
        Assert.Equal(2.0, distances["mount"]);
        Assert.Equal(1 + WordNetNeighbourhoods.RarerSensePenalty, distances["work"]); // the rarer sense's hypernym
        Assert.DoesNotContain("elevation", distances.Keys); // the model does not know it
        // The sense as the model reads it: the known related words and the definition, not the example.
        Assert.Equal(new MeaningContext("mountain mount land", 1), hill.Contexts[0]);
        Assert.Equal(new MeaningContext("work", 0.25), hill.Contexts[1]);

        // "peak" is in no WordNet here, only in an emoji's keywords: that emoji's caption is its meaning.
        var peak = WordNetNeighbourhoods.Of("peak", wordNet, emojiTexts, known);
        Assert.Equal(["mountain", "snow"], peak.Candidates.Select(c => c.Word).Order());
        Assert.Equal([new MeaningContext("snow mountain", 1)], peak.Contexts);

        Assert.Equal(["capped", "cold", "elevation", "hill", "huge", "peak"], WordNetNeighbourhoods.UnknownWords(wordNet, emoji, known)
            .Where(w => w is "cold" or "elevation" or "hill" or "huge" or "peak" or "mountain" or "capped"));
    }

    [Fact]
    public async Task The_command_writes_the_index_the_model_then_suggests_from()
    {
        // The tiny model's alignment weights are untrained: its cosines say nothing, so every neighbour is let through.
        var (exit, output, error) = await Cli.Run(["model", "index-meanings", "--model", ModelDirectory, "--wordnet", WordNetDirectory, "--emojibase", EmojibaseDirectory, "--min-score", "-2"]);
        Assert.True(exit == 0, error);
        Assert.Contains(WordMeanings.FileName, output);
        var lines = await File.ReadAllLinesAsync(Path.Combine(ModelDirectory, WordMeanings.FileName));
        Assert.StartsWith("#", lines[0]);
        var hill = lines.Single(l => l.StartsWith("hill\t", StringComparison.Ordinal)).Split('\t')[1].Split(' ');
        Assert.Equal(["mount", "mountain", "work"], hill.Order());
        Assert.DoesNotContain(lines, l => l.StartsWith("huge\t", StringComparison.Ordinal)); // nothing known is near it

        using var model = CascadeModel.Load(ModelDirectory, TorchSharp.torch.CPU);
        var unknown = model.UnknownWords("red hills");
        Assert.Equal(SuggestedBy.Meaning, unknown.Single().By);
        Assert.Equal(hill, unknown.Single().Suggestions);
    }

    [Fact]
    public async Task Without_WordNet_the_command_says_how_to_install_it_and_writes_nothing()
    {
        var (exit, _, error) = await Cli.Run(["model", "index-meanings", "--model", ModelDirectory, "--wordnet", Path.Combine(root, "none"), "--emojibase", EmojibaseDirectory]);
        Assert.NotEqual(0, exit);
        Assert.Contains("apt-get install wordnet-base", error);
        Assert.False(File.Exists(Path.Combine(ModelDirectory, WordMeanings.FileName)));
    }
}
