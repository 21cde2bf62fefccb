namespace RefineWeb.Components.Shared;

/// <summary>
/// How a picture is scaled on the page. Stage previews in the progress strip: from 128 px up smoothly, below that with
/// hard pixel edges, because a 16 or 32 px stage shown large is meant to look like what it is, not like a blur.
/// Results and gallery pictures (<see cref="Whole"/>): at their own size, or the largest whole multiple of it that
/// their box fits (a clean 2x, each pixel a square), never an arbitrary blow-up that smears a 256 px picture over 290
/// or 512 px; a box narrower than the picture shrinks it.
/// </summary>
public static class PictureClass
{
    public const int SmoothFrom = 128;

    public static string For(int side) => side >= SmoothFrom ? "smooth" : "pixelated";

    /// <summary>The class of a whole-multiple picture; its box is a <c>picture-box</c>, its size <see cref="Side"/>.</summary>
    public const string Whole = "picture-whole";

    /// <summary>The inline style that tells the stylesheet the picture's own width; none when it is not known yet.</summary>
    public static string? Side(int side) => side > 0 ? $"--side: {side}px" : null;
}
