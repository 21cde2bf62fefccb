namespace RefineWeb.Contracts;

/// <summary>How a gallery image came to be.</summary>
public enum ImageOrigin { Generated, Refined, Upscaled, Uploaded, Realigned }
