namespace RefineWeb.Engine.Training;

/// <summary>One training image (an opaque square PNG) and the captions that describe it.</summary>
public sealed record TrainingExample(string Id, string ImagePath, IReadOnlyList<string> Captions);
