namespace RefineWeb.Engine.Pipelines;

/// <summary>Network sizes for a new cascade.</summary>
public enum CascadePreset
{
    /// <summary>The built-in emoji model: 16 -> 32 -> 64 px, sized to train and run on a 2-core CPU.</summary>
    Emoji,
    /// <summary>A few thousand parameters per stage: for tests and smoke runs only.</summary>
    Tiny,
}
