using System.CommandLine;
using RefineWeb.Cli.Commands;

namespace RefineWeb.Cli;

/// <summary>The command tree. Runs in-process so tests call it exactly as the shell does.</summary>
public static class RefineWebCli
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        var root = new RootCommand("RefineWeb: text-to-image by a cascade of diffusion refiners (16 -> 32 -> 64 px).")
        {
            DataCommands.Create(output),
            ModelCommands.Create(output),
            GenerateCommand.Create(output),
            TrainCommand.Create(output),
            EvalCommand.Create(output),
            GridCommand.Create(output),
        };
        // User errors are caught below as one line; everything else keeps its stack trace.
        var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        try
        {
            return await root.Parse(args).InvokeAsync(configuration, cancellation);
        }
        catch (CliException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
    }
}

/// <summary>A user-facing failure: printed as one line, exit code 1, no stack trace.</summary>
public sealed class CliException(string message, Exception? inner = null) : Exception(message, inner);
