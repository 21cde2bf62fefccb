using RefineWeb.Engine.Text;

namespace RefineWeb.Engine.Tests.Text;

public sealed class VocabularyCheckTests
{
    // Ordered as a built vocabulary is: commoner words first.
    static readonly WordTokenizer Tokenizer = new([WordTokenizer.PadToken, WordTokenizer.UnknownToken, WordTokenizer.StartToken, WordTokenizer.EndToken,
        "face", "red", "heart", "castle", "sunset", "hiking", "mill", "pill", "apple", "apricot", "ape"]);

    [Fact]
    public void Unknown_words_are_listed_once_in_order_with_the_nearest_known_words()
    {
        var unknown = Tokenizer.UnknownWords("a castle on a hill at sunset, a Hill", WordMeanings.None);
        Assert.Equal(["a", "on", "hill", "at"], unknown.Select(u => u.Word));
        Assert.Equal(["mill", "pill"], unknown.Single(u => u.Word == "hill").Suggestions);
        Assert.Empty(Tokenizer.UnknownWords("red heart face", WordMeanings.None));
        Assert.Equal("'hill' is not a word the model knows, so it is ignored; did you mean 'mill', 'pill'?", unknown[2].Message);
    }

    [Fact]
    public void Words_with_known_neighbours_in_meaning_get_those_and_spelling_is_the_fallback()
    {
        // Only "hill" has an entry ("hills" finds it by its base form); "unheard" is not a word this tokenizer knows.
        var meanings = new WordMeanings(new Dictionary<string, IReadOnlyList<string>> { ["hill"] = ["castle", "unheard", "sunset"] });
        var unknown = Tokenizer.UnknownWords("a hill, hills and a hearth", meanings);
        var hill = unknown.Single(u => u.Word == "hill");
        Assert.Equal(SuggestedBy.Meaning, hill.By);
        Assert.Equal(["castle", "sunset"], hill.Suggestions); // a neighbour the tokenizer does not know is never offered
        Assert.Equal("'hill' is not a word the model knows, so it is ignored; close in meaning: 'castle', 'sunset'.", hill.Message);
        Assert.Equal(["castle", "sunset"], unknown.Single(u => u.Word == "hills").Suggestions); // by its base form
        var spelled = unknown.Single(u => u.Word == "hearth"); // no meaning indexed: spelling is the fallback
        Assert.Equal(SuggestedBy.Spelling, spelled.By);
        Assert.Equal(["heart"], spelled.Suggestions);
    }

    [Fact]
    public void Gibberish_gets_no_suggestion_and_says_nothing_is_close()
    {
        var unknown = Tokenizer.UnknownWords("qwzx blorf", WordMeanings.None);
        Assert.Equal(["qwzx", "blorf"], unknown.Select(u => u.Word));
        Assert.All(unknown, u => Assert.Empty(u.Suggestions));
        Assert.All(unknown, u => Assert.Equal(SuggestedBy.Nothing, u.By));
        Assert.Equal("'qwzx' is not a word the model knows, so it is ignored; no word it knows is close in meaning or spelling.", unknown[0].Message);
    }

    [Fact]
    public void Suggestions_prefer_the_closer_then_the_commoner_word()
    {
        Assert.Equal(["heart"], Tokenizer.Nearest("hearts"));
        Assert.Equal(["red"], Tokenizer.Nearest("rad", 1));
        Assert.Equal(["apple"], Tokenizer.Nearest("appl")); // "ape" is two edits away: too far for four letters
    }

    [Fact]
    public void Completion_offers_known_words_with_the_prefix_commoner_first()
    {
        Assert.Equal(["apple", "apricot", "ape"], Tokenizer.Complete("ap"));
        Assert.Equal(["apple"], Tokenizer.Complete("AP", 1));
        Assert.Empty(Tokenizer.Complete(""));
        Assert.Empty(Tokenizer.Complete("apple")); // already complete
    }

    [Theory]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    [InlineData("flaw", "lawn", 2)]
    [InlineData("same", "same", 0)]
    public void Edit_distance_is_levenshtein(string a, string b, int expected) => Assert.Equal(expected, VocabularyCheck.EditDistance(a, b));

    [Fact]
    public void Edit_distance_stops_early_past_the_limit() => Assert.Equal(2, VocabularyCheck.EditDistance("kitten", "sitting", limit: 1));
}
