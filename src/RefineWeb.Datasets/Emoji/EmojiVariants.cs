namespace RefineWeb.Datasets.Emoji;

/// <summary>
/// Which images show the same emoji: its code points without skin-tone modifiers or variation selectors, so the
/// three styles and every skin tone of "person raising hand" share one key. Half of the emoji set is skin-tone
/// variants of a few hundred people emoji; training draws by this key so that each pizza or fox is seen as often
/// as each gesture.
/// </summary>
public static class EmojiVariants
{
    const int FirstSkinTone = 0x1F3FB, LastSkinTone = 0x1F3FF, VariationSelector16 = 0xFE0F;

    /// <summary>The group key of a hexcode such as <c>1F64B-1F3FD-200D-2642-FE0F</c> (here <c>1F64B-200D-2642</c>).</summary>
    public static string GroupOf(string hexcode)
    {
        var kept = hexcode.Split('-', StringSplitOptions.RemoveEmptyEntries).Where(part => !IsModifier(part));
        return string.Join('-', kept).ToUpperInvariant();
    }

    static bool IsModifier(string part) =>
        int.TryParse(part, System.Globalization.NumberStyles.HexNumber, null, out int code)
        && code is >= FirstSkinTone and <= LastSkinTone or VariationSelector16;
}
