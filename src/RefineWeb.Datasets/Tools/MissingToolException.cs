namespace RefineWeb.Datasets.Tools;

/// <summary>An external program the data builder needs is not installed; the message says how to install it.</summary>
public sealed class MissingToolException(string tool, string installHint)
    : Exception($"'{tool}' was not found on PATH. {installHint}")
{
    public string Tool { get; } = tool;
}
