using RefineWeb.Datasets.Colour;

namespace RefineWeb.Datasets.Tests;

public sealed class RecolouringTests
{
    const int Side = 16;
    static readonly (byte R, byte G, byte B) White = (255, 255, 255), Outline = (20, 20, 20), AppleRed = (220, 30, 40), LeafGreen = (40, 160, 50);

    /// <summary>A 16 px "apple": white background, a black outline ring, a red body, a green leaf.</summary>
    static byte[] Apple()
    {
        var rgba = new byte[Side * Side * 4];
        for (int y = 0; y < Side; y++)
            for (int x = 0; x < Side; x++)
            {
                double d = Math.Sqrt((x - 7.5) * (x - 7.5) + (y - 8.5) * (y - 8.5));
                var colour = y < 2 && x is >= 8 and < 11 ? LeafGreen : d < 5 ? AppleRed : d < 6.5 ? Outline : White;
                Set(rgba, x, y, colour);
            }
        return rgba;
    }

    static void Set(byte[] rgba, int x, int y, (byte R, byte G, byte B) c)
    {
        int i = (y * Side + x) * 4;
        (rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]) = (c.R, c.G, c.B, 255);
    }

    static (byte, byte, byte) At(byte[] rgba, int x, int y) { int i = (y * Side + x) * 4; return (rgba[i], rgba[i + 1], rgba[i + 2]); }

    [Theory]
    [InlineData(255, 0, 0, "red")]
    [InlineData(255, 165, 0, "orange")]
    [InlineData(255, 215, 0, "yellow")]
    [InlineData(40, 160, 50, "green")]
    [InlineData(30, 90, 220, "blue")]
    [InlineData(128, 0, 160, "purple")]
    [InlineData(128, 0, 128, "purple")]
    [InlineData(255, 105, 180, "pink")]
    [InlineData(255, 192, 203, "pink")]
    [InlineData(139, 69, 19, "brown")]
    [InlineData(20, 20, 20, "black")]
    [InlineData(225, 225, 230, "white")]
    [InlineData(255, 255, 255, null)]
    [InlineData(128, 128, 128, null)]
    public void Pixels_get_the_colour_word_a_person_would_use(byte r, byte g, byte b, string? expected) =>
        Assert.Equal(expected, ColourPalette.Classify(r, g, b));

    [Fact]
    public void The_dominant_colour_ignores_background_and_outline()
    {
        Assert.Equal("red", ColourPalette.Dominant(Apple()));
        var blank = Enumerable.Repeat((byte)255, Side * Side * 4).ToArray();
        Assert.Null(ColourPalette.Dominant(blank));
    }

    [Fact]
    public void Recolouring_moves_the_main_colour_and_leaves_background_outline_and_leaf_bytes_alone()
    {
        var apple = Apple();
        var result = Recolouring.Recolour(apple, "blue");
        Assert.NotNull(result);
        Assert.Equal(("red", "blue"), (result.From, result.To));
        var expectedBody = new Hsv(215, Hsv.FromRgb(220, 30, 40).Saturation, Hsv.FromRgb(220, 30, 40).Value).ToRgb();
        int body = 0;
        for (int y = 0; y < Side; y++)
            for (int x = 0; x < Side; x++)
            {
                var before = At(apple, x, y);
                var after = At(result.Rgba, x, y);
                if (before == AppleRed) { Assert.Equal(expectedBody, after); body++; }
                else Assert.Equal(before, after); // white, outline and leaf: the same bytes
            }
        Assert.Equal(body, result.ChangedPixels);
        Assert.Equal("blue", ColourPalette.Dominant(result.Rgba));
        Assert.Contains("red -> blue", result.Description);
    }

    [Theory]
    [InlineData("orange")]
    [InlineData("yellow")]
    [InlineData("green")]
    [InlineData("blue")]
    [InlineData("purple")]
    [InlineData("pink")]
    [InlineData("brown")]
    [InlineData("black")]
    [InlineData("white")]
    public void Every_colour_word_but_its_own_is_reachable(string colour)
    {
        var result = Recolouring.Recolour(Apple(), colour);
        Assert.NotNull(result);
        Assert.Equal(colour, ColourPalette.Dominant(result.Rgba));
        Assert.Equal(result.Rgba, Recolouring.Recolour(Apple(), colour)!.Rgba); // pure: same input, same bytes
    }

    [Fact]
    public void Nothing_to_do_without_a_main_colour_or_to_its_own_colour()
    {
        Assert.Null(Recolouring.Recolour(Apple(), "red"));
        var mostlyOutline = Apple();
        for (int y = 0; y < Side; y++)
            for (int x = 0; x < Side; x++)
                if (At(mostlyOutline, x, y) == AppleRed && (x + y) % 4 != 0) Set(mostlyOutline, x, y, Outline);
        Assert.Null(Recolouring.Recolour(mostlyOutline, "blue")); // a red detail on a black thing: left alone
        Assert.Throws<ArgumentException>(() => Recolouring.Recolour(Apple(), "teal"));
    }

    static DatasetRecord Record(string label, string category, string colour = "red", string split = DatasetRecord.Train) => new()
    {
        Id = $"twemoji/{label}", Hexcode = "1F34E", Style = "twemoji", Image = "images/a.png", Label = label,
        Captions = [label, $"{label}, apple, fruit, red", $"twemoji {label}"], SourcePackage = "p", License = "MIT",
        Split = split, Category = category, Colour = colour,
    };

    [Fact]
    public void Captions_name_the_new_colour_with_the_object()
    {
        var parent = Record("red apple", "food-drink");
        Assert.Equal("apple", RecolourPlan.ObjectName("red apple"));
        Assert.Equal(["blue apple", "apple, blue, fruit", "twemoji blue apple"], RecolourPlan.Captions(parent, "blue"));
        var result = Recolouring.Recolour(Apple(), "blue")!;
        var derived = RecolourPlan.Derive(parent, result, "recoloured/twemoji/1F34E-blue.png");
        Assert.Equal(("twemoji/red apple/blue", "twemoji/red apple", "blue apple", "blue"), (derived.Id, derived.Parent, derived.Label, derived.Colour));
        Assert.Equal(result.Description, derived.Transform);
        Assert.Empty(derived.HighResolution);
    }

    [Fact]
    public void Emoji_whose_colour_is_their_identity_people_and_flags_are_left_alone()
    {
        Assert.True(RecolourPlan.IsEligible(Record("red apple", "food-drink")));
        Assert.False(RecolourPlan.IsEligible(Record("blue heart", "smileys-emotion")));
        Assert.False(RecolourPlan.IsEligible(Record("red circle", "symbols")));
        Assert.False(RecolourPlan.IsEligible(Record("flag: Japan", "flags")));
        Assert.False(RecolourPlan.IsEligible(Record("waving hand", "people-body", "yellow")));
        Assert.False(RecolourPlan.IsEligible(Record("mrs. claus: medium skin tone", "travel-places")));
        Assert.False(RecolourPlan.IsEligible(Record("black cat", "animals-nature", "black")));
        Assert.False(RecolourPlan.IsEligible(Record("red apple", "food-drink", split: DatasetRecord.Validation)));
    }

    [Fact]
    public void Target_colours_are_seeded_skip_the_objects_own_colours_and_the_held_out_pairs()
    {
        var parent = Record("red apple", "food-drink");
        IReadOnlySet<string> own = new HashSet<string> { "red", "green" };
        var all = RecolourPlan.TargetColours(parent, own, 9, seed: 1);
        Assert.DoesNotContain("red", all);
        Assert.DoesNotContain("green", all);
        Assert.All(all, c => Assert.False(RecolourPlan.IsHeldOut("apple", c)));
        Assert.Equal(ColourPalette.Words.Count(c => !own.Contains(c) && !RecolourPlan.IsHeldOut("apple", c)), all.Count);
        Assert.Equal(RecolourPlan.TargetColours(parent, own, 2, seed: 1), RecolourPlan.TargetColours(parent, own, 2, seed: 1));
        var bySeed = Enumerable.Range(1, 20).Select(s => string.Join(",", RecolourPlan.TargetColours(parent, own, 2, s))).Distinct().Count();
        Assert.True(bySeed > 1, "different seeds draw different colours");
        // About a fifth of all pairs are held out, the same ones whatever the seed.
        var pairs = new[] { "apple", "banana", "rocket", "frog", "car", "boot", "tree", "fish", "bell", "cup" }
            .SelectMany(o => ColourPalette.Words.Select(c => RecolourPlan.IsHeldOut(o, c))).ToList();
        Assert.InRange(pairs.Count(h => h), 8, 35);
    }
}
