namespace RefineWeb.Datasets.Colour;

/// <summary>
/// Writes the recoloured copies <see cref="RecolourPlan"/> asks for, next to the data set's images
/// (<c>recoloured/&lt;style&gt;/&lt;hexcode&gt;-&lt;colour&gt;.png</c>, 64 px), and returns their manifest lines. A copy already on
/// disk is reused (the bytes depend only on the parent's picture and the colour), so a rebuild is quick and the
/// same seed gives the same set.
/// </summary>
public static class RecolouredCopies
{
    public static IReadOnlyList<DatasetRecord> Make(IReadOnlyList<DatasetRecord> records, string dataDirectory, int copies, long seed, int parallelism = 2)
    {
        if (copies <= 0) return [];
        var coloursByObject = ObjectColours(records);
        var parents = records.Where(RecolourPlan.IsEligible).ToList();
        var derived = new List<DatasetRecord>[parents.Count];
        Parallel.For(0, parents.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, i =>
        {
            var parent = parents[i];
            var objectColours = coloursByObject[RecolourPlan.ObjectName(parent.Label)!];
            var (rgba, side) = EmojiPng.ReadRgba(Path.Combine(dataDirectory, parent.Image));
            derived[i] = [];
            foreach (var colour in RecolourPlan.TargetColours(parent, objectColours, copies, seed))
            {
                if (Recolouring.Recolour(rgba, colour) is not { } result) continue;
                var image = $"recoloured/{parent.Style}/{parent.Hexcode}-{colour}.png";
                var destination = Path.Combine(dataDirectory, image);
                if (!File.Exists(destination)) EmojiPng.WriteRgba(result.Rgba, side, destination);
                derived[i].Add(RecolourPlan.Derive(parent, result, image));
            }
        });
        return derived.SelectMany(d => d).ToList();
    }

    /// <summary>
    /// Every colour each object is shown in anywhere in the emoji sets (any style, either split, and the colour words
    /// of its labels: "green apple" makes "apple" green).
    /// </summary>
    public static Dictionary<string, IReadOnlySet<string>> ObjectColours(IEnumerable<DatasetRecord> records)
    {
        var colours = new Dictionary<string, HashSet<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var record in records.Where(r => r.Parent is null))
        {
            if (RecolourPlan.ObjectName(record.Label) is not { } name) continue;
            if (!colours.TryGetValue(name, out var set)) colours[name] = set = [];
            if (record.Colour is { } colour) set.Add(colour);
            foreach (var word in record.Label.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(ColourPalette.IsColourWord))
                set.Add(word.ToLowerInvariant());
        }
        return colours.ToDictionary(kv => kv.Key, kv => (IReadOnlySet<string>)kv.Value, StringComparer.OrdinalIgnoreCase);
    }
}
