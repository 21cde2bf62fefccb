namespace RefineWeb.Engine.Training;

/// <summary>
/// One training image (an opaque square PNG) and the captions that describe it. Examples with the same
/// <paramref name="Group"/> (variants of one subject) share one draw when the bank balances groups.
/// </summary>
public sealed record TrainingExample(string Id, string ImagePath, IReadOnlyList<string> Captions, string? Group = null);
