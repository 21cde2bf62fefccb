namespace RefineWeb.Components.Shared;

/// <summary>
/// How a picture is scaled on the page: from 128 px up smoothly, as a photo would be; below that with hard pixel
/// edges, because a 16 or 32 px stage shown large is meant to look like what it is, not like a blur.
/// </summary>
public static class PictureClass
{
    public const int SmoothFrom = 128;

    public static string For(int side) => side >= SmoothFrom ? "smooth" : "pixelated";
}
