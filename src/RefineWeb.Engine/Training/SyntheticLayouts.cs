using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Training;

/// <summary>
/// Layouts made from the data set, with exact ground truth for free (the Cascaded Refinement Networks paper trains on
/// layouts; here they are composed): a row becomes two emoji on one white canvas at half size, side by side or one
/// above the other, or one emoji at half size drawn over the centre of another drawn whole (its white ground left
/// out). The row keeps its own caption; its layout is the region its own emoji fills (a half, or the centre square)
/// and its loss counts that region alone, so the network learns to draw the caption there whatever the rest of the
/// picture holds, which is how prompts by region use it (each region's prediction is kept inside its region only).
/// </summary>
public static class SyntheticLayouts
{
    /// <summary>Where a row's emoji goes.</summary>
    public enum Placement { Whole, Left, Right, Top, Bottom, Centre }

    /// <summary>
    /// The batch with some rows made into layouts: the pictures and each row's layout [B, 1, r, r], 1 in its region (the
    /// whole picture for the rows left as they were). The layout is the loss's weight per pixel as well.
    /// </summary>
    /// <param name="clean">[B, 3, r, r] the rows' own pictures, in [-1, 1] on white.</param>
    /// <param name="small">[B, 3, r/2, r/2] the same pictures at half size.</param>
    /// <param name="others">[B, 3, r, r] and <paramref name="othersSmall"/> [B, 3, r/2, r/2]: another picture per row, the rest of its canvas.</param>
    public static (Tensor Pictures, Tensor Layout) Compose(Tensor clean, Tensor small, Tensor others, Tensor othersSmall,
        IReadOnlyList<Placement> placements)
    {
        using var scope = NewDisposeScope();
        long batch = clean.shape[0], side = clean.shape[2], half = side / 2, quarter = side / 4;
        if (placements.Count != batch) throw new ArgumentException($"One placement per row: {batch} rows, {placements.Count} placements.", nameof(placements));
        var pictures = clean.clone();
        var layout = ones(batch, 1, side, side, device: clean.device);
        for (int b = 0; b < batch; b++)
        {
            var placement = placements[b];
            if (placement == Placement.Whole) continue;
            var picture = pictures[b];
            var region = layout[b];
            if (placement == Placement.Centre)
            {
                picture.copy_(others[b]);
                Paste(picture, small[b], quarter, quarter, overWhite: false);
                region.zero_();
                region[.., TensorIndex.Slice(quarter, quarter + half), TensorIndex.Slice(quarter, quarter + half)].Fill(1);
                continue;
            }
            picture.Fill(1); // white
            bool sideBySide = placement is Placement.Left or Placement.Right;
            bool first = placement is Placement.Left or Placement.Top;
            // Each emoji is centred in its half: (top, left) of the row's own, then of the other's.
            (long Top, long Left) Corner(bool firstHalf) => sideBySide ? (quarter, firstHalf ? 0 : half) : (firstHalf ? 0 : half, quarter);
            var (ownTop, ownLeft) = Corner(first);
            var (otherTop, otherLeft) = Corner(!first);
            Paste(picture, small[b], ownTop, ownLeft, overWhite: true);
            Paste(picture, othersSmall[b], otherTop, otherLeft, overWhite: true);
            region.zero_();
            if (sideBySide) region[.., .., TensorIndex.Slice(ownLeft, ownLeft + half)].Fill(1);
            else region[.., TensorIndex.Slice(ownTop, ownTop + half), ..].Fill(1);
        }
        return (pictures.MoveToOuterDisposeScope(), layout.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Puts <paramref name="picture"/> (on white) on the canvas at (top, left). Over another emoji only its drawing goes
    /// down, not its white ground: the emoji's coverage of a pixel is how far its darkest channel is from white (full
    /// from a tenth of the range on), so the emoji beneath shows around it instead of a white box the network would learn.
    /// </summary>
    static void Paste(Tensor canvas, Tensor picture, long top, long left, bool overWhite)
    {
        var target = canvas[.., TensorIndex.Slice(top, top + picture.shape[1]), TensorIndex.Slice(left, left + picture.shape[2])];
        if (overWhite)
        {
            target.copy_(picture);
            return;
        }
        using var coverage = picture.amin([0], keepdim: true).SubtractedFrom(1).Over(0.2).ClampTo(0, 1);
        target.copy_((coverage * picture).Plus(coverage.SubtractedFrom(1) * target));
    }

    /// <summary>Each row's placement: a layout with probability <paramref name="share"/>, its kind uniform among the five.</summary>
    public static IReadOnlyList<Placement> Draw(int batch, double share, Generator generator)
    {
        var draws = rand([batch, 2], generator: generator, dtype: ScalarType.Float64).data<double>().ToArray();
        return [.. Enumerable.Range(0, batch).Select(b => draws[2 * b] >= share ? Placement.Whole : (Placement)(1 + (int)Math.Min(4, draws[2 * b + 1] * 5)))];
    }
}
