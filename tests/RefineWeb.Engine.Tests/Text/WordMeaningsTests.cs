using RefineWeb.Engine.Tests.Pipelines;
using RefineWeb.Engine.Text;

namespace RefineWeb.Engine.Tests.Text;

public sealed class WordMeaningsTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("refineweb-meanings-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void The_index_round_trips_through_its_file_and_inflected_forms_find_their_base_word()
    {
        new WordMeanings(new Dictionary<string, IReadOnlyList<string>> { ["sofa"] = ["couch", "seat"], ["hill"] = ["mountain"] }).Save(directory);
        var lines = File.ReadAllLines(Path.Combine(directory, WordMeanings.FileName));
        Assert.Equal(["hill\tmountain", "sofa\tcouch seat"], lines.Skip(1)); // ordinal order after the header
        var loaded = WordMeanings.Load(directory);
        Assert.Equal(2, loaded.Count);
        Assert.Equal(["couch", "seat"], loaded.Of("sofa"));
        Assert.Equal(["couch", "seat"], loaded.Of("sofas"));
        Assert.Equal(["mountain"], loaded.Of("hills"));
        Assert.Empty(loaded.Of("qwzx"));
    }

    [Fact]
    public void A_folder_without_the_file_has_no_meanings_and_a_malformed_line_is_named()
    {
        Assert.Same(WordMeanings.None, WordMeanings.Load(directory));
        File.WriteAllLines(Path.Combine(directory, WordMeanings.FileName), ["# header", "hill\tmountain", "sofa"]);
        var error = Assert.Throws<InvalidDataException>(() => WordMeanings.Load(directory));
        Assert.Contains(WordMeanings.FileName + ", line 3", error.Message);
    }

    [Theory]
    [InlineData("hills", "hill")]
    [InlineData("ponies", "pony")]
    [InlineData("boxes", "box")]
    [InlineData("women", "woman")]
    [InlineData("baked", "bake")]
    [InlineData("smiling", "smile")]
    public void Base_forms_follow_wordnets_detachment_rules(string inflected, string expected) =>
        Assert.Contains(expected, WordMeanings.BaseForms(inflected));

    [Fact]
    public void The_built_in_model_offers_known_words_close_in_meaning_for_everyday_words_it_never_saw()
    {
        var meanings = WordMeanings.Load(ShippedModelFixture.Directory);
        var tokenizer = WordTokenizer.Load(Path.Combine(ShippedModelFixture.Directory, "vocab.txt"));
        Assert.False(tokenizer.Knows("hill"));
        Assert.Contains("mountain", meanings.Of("hill")); // by spelling it was bill, pill, ill
        Assert.Contains("mountain", meanings.Of("hills"));
        Assert.Contains("couch", meanings.Of("sofa"));
        Assert.Contains("hamburger", meanings.Of("burger"));
        Assert.Contains("red", meanings.Of("crimson"));
        Assert.Contains("dog", meanings.Of("hound"));
        Assert.True(meanings.Count > 10_000, $"only {meanings.Count} words indexed");
        // Every suggestion is a word the model knows (the index is built against this vocabulary).
        foreach (var line in File.ReadLines(Path.Combine(ShippedModelFixture.Directory, WordMeanings.FileName)).Skip(1))
        {
            var parts = line.Split('\t');
            Assert.False(tokenizer.Knows(parts[0]), parts[0]);
            Assert.All(parts[1].Split(' '), word => Assert.True(tokenizer.Knows(word), $"{parts[0]} -> {word}"));
        }
    }
}
