namespace RefineWeb.Engine.Weights;

/// <summary>A weights file that is not valid safetensors; the message names the file and what is wrong.</summary>
public sealed class SafetensorsFormatException(string message, Exception? inner = null) : Exception(message, inner);
