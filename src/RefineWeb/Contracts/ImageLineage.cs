namespace RefineWeb.Contracts;

/// <summary>Where an image came from, as the engine hands it over: refinements bring their parent and mask.</summary>
public sealed record ImageLineage(ImageOrigin Origin, string? ParentId = null, byte[]? MaskPng = null, string? Prompt = null);
