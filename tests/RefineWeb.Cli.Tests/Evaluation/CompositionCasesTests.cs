using RefineWeb.Datasets;
using RefineWeb.Datasets.Colour;
using RefineWeb.Cli.Evaluation;
using RefineWeb.Engine.Evaluation;
using static TorchSharp.torch;

namespace RefineWeb.Cli.Tests.Evaluation;

public sealed class CompositionCasesTests
{
    static readonly string[] Objects = ["apple", "banana", "rocket", "frog", "boot", "tree", "fish", "bell", "cup", "kite", "drum", "cat face", "cat"];

    /// <summary>Each object in three styles, all red except the tree (green); "green apple" also exists.</summary>
    static List<DatasetRecord> Records()
    {
        var records = new List<DatasetRecord>();
        foreach (var name in Objects)
            foreach (var style in new[] { "twemoji", "noto", "fluent" })
            {
                var label = name == "apple" ? "red apple" : name;
                records.Add(new DatasetRecord
                {
                    Id = $"{style}/{name}", Hexcode = name, Style = style, Image = "a.png", Label = label, Captions = [label],
                    SourcePackage = "p", License = "MIT", Split = DatasetRecord.Train, Category = "objects", Colour = name == "tree" ? "green" : "red",
                });
            }
        records.Add(records[0] with { Id = "twemoji/green-apple", Label = "green apple", Captions = ["green apple"], Colour = "green" });
        return records;
    }

    [Fact]
    public void Cases_are_held_out_pairs_in_colours_the_object_never_has_deterministic_for_a_seed()
    {
        var cases = CompositionCases.FromManifest(Records(), count: 40, otherObjects: 4, seed: 3);
        Assert.NotEmpty(cases);
        Assert.All(cases, c =>
        {
            Assert.True(RecolourPlan.IsHeldOut(c.Object, c.Colour), $"{c.Plain} is recoloured in training");
            if (c.Object != "tree") Assert.NotEqual("red", c.Colour);
            if (c.Object is "apple" or "tree") Assert.NotEqual("green", c.Colour);
            Assert.Equal(4, c.OtherObjects.Count);
            Assert.DoesNotContain(c.Object, c.OtherObjects);
            Assert.All(c.OtherObjects, o => Assert.Empty(o.Split(' ').Intersect(c.Object.Split(' '))));
        });
        int expected = Objects.Sum(o => ColourPalette.Words.Count(colour => !(colour == "red" && o != "tree") && !(colour == "green" && o is "apple" or "tree") && RecolourPlan.IsHeldOut(o, colour)));
        Assert.Equal(Math.Min(40, expected), cases.Count);
        Assert.Equal(cases, CompositionCases.FromManifest(Records(), count: 40, otherObjects: 4, seed: 3), new CaseComparer());
        // Colours take turns: the first cases are in as many different colours as there are colours with held-out pairs.
        int colours = cases.Select(c => c.Colour).Distinct().Count();
        Assert.Equal(colours, cases.Take(colours).Select(c => c.Colour).Distinct().Count());
        Assert.Equal("(blue:1.5) apple", new CompositionCase("apple", "blue", []).Emphasized(1.5));
    }

    [Fact]
    public void Too_few_objects_is_a_clear_error()
    {
        var error = Assert.Throws<ArgumentException>(() => CompositionCases.FromManifest(Records(), count: 5, otherObjects: 20));
        Assert.Contains("more than 20 recolourable objects", error.Message);
    }

    sealed class CaseComparer : IEqualityComparer<CompositionCase>
    {
        public bool Equals(CompositionCase? a, CompositionCase? b) => a!.Plain == b!.Plain && a.OtherObjects.SequenceEqual(b.OtherObjects);
        public int GetHashCode(CompositionCase c) => c.Plain.GetHashCode();
    }
}
