using RefineWeb.Engine.Text;

namespace RefineWeb.Engine.Tests.Text;

public class WordTokenizerTests
{
    static readonly WordTokenizer Tokenizer = new(WordTokenizer.BuildVocabulary(["red heart", "blue heart", "grinning face", "heart"]), maxLength: 6);

    [Fact]
    public void Vocabulary_starts_with_specials_then_words_by_frequency()
    {
        Assert.Equal(["<pad>", "<unk>", "<s>", "</s>", "heart", "blue", "face", "grinning", "red"], Tokenizer.Words);
    }

    [Fact]
    public void Encode_wraps_words_in_start_and_end_and_pads()
    {
        var encoded = Tokenizer.Encode("Red  HEART!");
        Assert.Equal([2, 8, 4, 3, 0, 0], encoded.Ids);
        Assert.Equal(4, encoded.Length);
        Assert.Equal("red heart", Tokenizer.Decode(encoded.Ids));
    }

    [Fact]
    public void Unknown_words_map_to_unk_and_long_texts_are_truncated()
    {
        Assert.Equal([2, 1, 4, 3, 0, 0], Tokenizer.Encode("purple heart").Ids);
        Assert.Equal([2, 8, 8, 8, 8, 3], Tokenizer.Encode("red red red red red red red").Ids);
    }

    [Fact]
    public void Encoding_is_deterministic_across_instances_and_files()
    {
        using var dir = new TempDirectory();
        var path = dir.File("vocab.txt");
        WordTokenizer.SaveVocabulary(Tokenizer.Words, path);
        var loaded = WordTokenizer.Load(path, 6);
        Assert.Equal(Tokenizer.Encode("grinning face").Ids, loaded.Encode("grinning face").Ids);
    }

    [Fact]
    public void Apostrophes_and_accents_stay_inside_words()
    {
        Assert.Equal(["man's", "piñata", "1st", "place"], WordTokenizer.SplitWords("Man's piñata: 1st-place"));
    }

    [Fact]
    public void Malformed_vocabularies_are_refused_with_the_reason()
    {
        using var dir = new TempDirectory();
        var path = dir.File("vocab.txt");
        File.WriteAllLines(path, ["heart", "red"]);
        var error = Assert.Throws<FormatException>(() => WordTokenizer.Load(path));
        Assert.Contains(path, error.Message);
        File.WriteAllLines(path, ["<pad>", "<unk>", "<s>", "</s>", "red", "red"]);
        Assert.Contains("twice", Assert.Throws<FormatException>(() => WordTokenizer.Load(path)).Message);
        Assert.Throws<FileNotFoundException>(() => WordTokenizer.Load(dir.File("missing.txt")));
    }
}
