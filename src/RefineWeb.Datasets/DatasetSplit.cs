using System.Security.Cryptography;
using System.Text;

namespace RefineWeb.Datasets;

/// <summary>
/// Deterministic train/validation split: a share of emoji (by hash of the hexcode) put one of their styles in
/// validation, so every validation image's emoji is also in training, drawn in another style.
/// </summary>
public static class DatasetSplit
{
    public static IReadOnlyList<DatasetRecord> Assign(IEnumerable<DatasetRecord> records, double validationShare = 0.05)
    {
        var result = new List<DatasetRecord>();
        foreach (var group in records.GroupBy(r => r.Hexcode))
        {
            var styles = group.OrderBy(r => r.Style, StringComparer.Ordinal).ToList();
            uint hash = Hash(group.Key);
            bool held = styles.Count >= 2 && hash % 10_000 < validationShare * 10_000;
            int heldIndex = held ? (int)(Hash(group.Key + "/style") % (uint)styles.Count) : -1;
            result.AddRange(styles.Select((r, i) => r with { Split = i == heldIndex ? DatasetRecord.Validation : DatasetRecord.Train }));
        }
        return result;
    }

    static uint Hash(string text) => BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0);
}
