using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Imaging;

/// <summary>The colour-blind view of pictures (judging an object by its shape alone): each pixel's luma (Rec. 601) in all three channels.</summary>
public static class GreyscaleView
{
    /// <param name="images">[B, 3, H, W] in [-1, 1].</param>
    public static Tensor Of(Tensor images)
    {
        using var scope = NewDisposeScope();
        var luma = images[.., 0..1].Times(0.299).Plus(images[.., 1..2].Times(0.587)).Plus(images[.., 2..3].Times(0.114));
        return luma.expand(-1, 3, -1, -1).contiguous().MoveToOuterDisposeScope();
    }
}
