using RefineWeb.Datasets.Tools;
using RefineWeb.Engine.Weights;

namespace RefineWeb.Cli.Commands;

static class CliErrors
{
    /// <summary>Turns the failures a user can fix (files, formats, tools) into one-line messages.</summary>
    public static async Task<int> Guard(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException
            or FormatException or SafetensorsFormatException or MissingToolException or ExternalToolException
            or ArgumentException or InvalidOperationException)
        {
            throw new CliException(e.Message, e);
        }
    }
}
