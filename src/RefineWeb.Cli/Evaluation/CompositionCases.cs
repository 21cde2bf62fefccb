using RefineWeb.Datasets;
using RefineWeb.Datasets.Colour;

namespace RefineWeb.Cli.Evaluation;

/// <summary>
/// One prompt of the composition evaluation: an object in a colour it never has in the emoji sets and was never
/// recoloured to in training, and the other objects its picture must be told from.
/// </summary>
public sealed record CompositionCase(string Object, string Colour, IReadOnlyList<string> OtherObjects)
{
    public string Plain => $"{Colour} {Object}";

    /// <summary>The same prompt with the colour emphasized, as a user types it: "(blue:1.5) apple".</summary>
    public string Emphasized(double weight) => FormattableString.Invariant($"({Colour}:{weight}) {Object}");
}

/// <summary>
/// The composition evaluation's prompts, from a data set's manifest: held-out object x colour pairs
/// (<see cref="RecolourPlan.IsHeldOut"/>) of objects that get recoloured copies, in colours no picture of the object
/// has. Colours take turns so each is asked about about equally; deterministic for a seed.
/// </summary>
public static class CompositionCases
{
    public static IReadOnlyList<CompositionCase> FromManifest(IReadOnlyList<DatasetRecord> records, int count, int otherObjects = 9, long seed = 0)
    {
        var coloursByObject = RecolouredCopies.ObjectColours(records);
        var objects = records.Where(RecolourPlan.IsEligible).Select(r => RecolourPlan.ObjectName(r.Label)!)
            .Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
        if (objects.Count <= otherObjects)
            throw new ArgumentException($"The composition evaluation needs more than {otherObjects} recolourable objects; the data set has {objects.Count} (was it built with `data build`?).");
        var random = new Random(unchecked((int)seed));
        var queues = ColourPalette.Words.Select(colour =>
        {
            var pairs = objects.Where(o => RecolourPlan.IsHeldOut(o, colour) && !coloursByObject[o].Contains(colour)).ToArray();
            random.Shuffle(pairs);
            return new Queue<(string Object, string Colour)>(pairs.Select(o => (o, colour)));
        }).ToList();

        var cases = new List<CompositionCase>();
        while (cases.Count < count && queues.Any(q => q.Count > 0))
            foreach (var queue in queues)
                if (cases.Count < count && queue.TryDequeue(out var pair))
                    cases.Add(new CompositionCase(pair.Object, pair.Colour, OthersFor(pair.Object, objects, otherObjects, random)));
        return cases;
    }

    /// <summary>Other objects that share no word with this one ("cat" is no fair distractor for "cat face").</summary>
    static IReadOnlyList<string> OthersFor(string objectName, IReadOnlyList<string> objects, int count, Random random)
    {
        var words = objectName.Split(' ');
        var others = new List<string>();
        for (int tries = 0; others.Count < count && tries < 100 * count; tries++)
        {
            var other = objects[random.Next(objects.Count)];
            if (!others.Contains(other) && !other.Split(' ').Intersect(words, StringComparer.OrdinalIgnoreCase).Any()) others.Add(other);
        }
        return others;
    }
}
