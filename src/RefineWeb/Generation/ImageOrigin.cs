namespace RefineWeb.Generation;

/// <summary>How a gallery image came to be.</summary>
public enum ImageOrigin { Generated, Refined, Upscaled, Uploaded }
