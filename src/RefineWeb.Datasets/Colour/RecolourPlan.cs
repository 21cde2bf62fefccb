using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace RefineWeb.Datasets.Colour;

/// <summary>
/// Which pictures get recoloured copies, in which colours, and with what captions, so that colour and object stop
/// being bound together in the training data (the built-in model has only seen apples red or green). Emoji whose
/// colour is their identity (hearts, circles, squares: smileys and symbols), flags, people and skin-tone variants
/// are left alone; so are pictures without a main colour. Some object x colour pairs are never made
/// (<see cref="IsHeldOut"/>, by a hash of the pair, independent of the seed) so that the composition evaluation
/// measures composition, not memorisation.
/// </summary>
public static partial class RecolourPlan
{
    /// <summary>emojibase groups whose pictures are things with a colour of their own.</summary>
    public static readonly IReadOnlySet<string> Categories = new HashSet<string> { "animals-nature", "food-drink", "travel-places", "activities", "objects" };

    /// <summary>Share of object x colour pairs never made in training.</summary>
    public const double HeldOutShare = 0.2;

    /// <summary>emojibase's group names, by number.</summary>
    public static readonly IReadOnlyList<string> GroupNames =
        ["smileys-emotion", "people-body", "component", "animals-nature", "food-drink", "travel-places", "activities", "objects", "symbols", "flags"];

    /// <summary>The object a label names with its colour words taken out: "red apple" -> "apple"; null when nothing is left.</summary>
    public static string? ObjectName(string label)
    {
        var words = WordPattern().Matches(label).Select(m => m.Value).Where(w => !ColourPalette.IsColourWord(w)).ToList();
        var name = string.Join(' ', words).Trim();
        return name.Length == 0 ? null : name;
    }

    /// <summary>Whether a record may get recoloured copies: a train image of a thing, no skin tone, with a colour-free name.</summary>
    public static bool IsEligible(DatasetRecord record) =>
        record.Parent is null && record.Split == DatasetRecord.Train && record.Category is { } category && Categories.Contains(category)
        && !record.Label.Contains("skin tone", StringComparison.OrdinalIgnoreCase) && record.Colour is { } colour && ColourPalette.IsChromatic(colour)
        && ObjectName(record.Label) is not null;

    /// <summary>Pairs never recoloured in training (the composition evaluation's held-out set).</summary>
    public static bool IsHeldOut(string objectName, string colour) =>
        BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes($"{objectName.ToLowerInvariant()}|{colour}")), 0) % 10_000 < HeldOutShare * 10_000;

    /// <summary>
    /// Up to <paramref name="copies"/> target colours for one record, drawn (by <paramref name="seed"/> and the record's
    /// id) among the colours its object is never shown in (<paramref name="objectColours"/>) and that are not held out.
    /// </summary>
    public static IReadOnlyList<string> TargetColours(DatasetRecord record, IReadOnlySet<string> objectColours, int copies, long seed)
    {
        var objectName = ObjectName(record.Label)!;
        var candidates = ColourPalette.Words.Where(c => !objectColours.Contains(c) && !IsHeldOut(objectName, c)).ToArray();
        var seedBytes = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}|{record.Id}"));
        new Random(BitConverter.ToInt32(seedBytes, 0)).Shuffle(candidates);
        return candidates.Take(copies).ToList();
    }

    /// <summary>The copy's captions, as the original's are made: the name, the name with its keywords, the name with the style.</summary>
    public static IReadOnlyList<string> Captions(DatasetRecord parent, string colour)
    {
        var objectName = ObjectName(parent.Label)!;
        var named = $"{colour} {objectName}";
        var keywords = parent.Captions.Count > 1 && parent.Captions[1].StartsWith(parent.Label + ", ", StringComparison.Ordinal)
            ? parent.Captions[1][(parent.Label.Length + 2)..].Split(", ").Where(k => !ColourPalette.IsColourWord(k) && ObjectName(k) is not null && k != objectName).ToList()
            : [];
        return [named, string.Join(", ", [objectName, colour, .. keywords]), $"{parent.Style} {named}"];
    }

    /// <summary>The copy's manifest line: its parent's identity and licence, the new colour and captions, what was done.</summary>
    public static DatasetRecord Derive(DatasetRecord parent, RecolourResult result, string image) => parent with
    {
        Id = $"{parent.Id}/{result.To}",
        Image = image,
        HighResolution = [],
        Label = $"{result.To} {ObjectName(parent.Label)}",
        Captions = Captions(parent, result.To),
        Colour = result.To,
        Parent = parent.Id,
        Transform = result.Description,
    };

    [GeneratedRegex(@"[^\s]+")]
    private static partial Regex WordPattern();
}
