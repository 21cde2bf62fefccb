using System.ComponentModel;
using System.Diagnostics;

namespace RefineWeb.Datasets.Tools;

/// <summary>Runs a command-line tool and reports a missing tool or a failure with its own output.</summary>
public sealed class ExternalTool(string executable, string installHint)
{
    public string Executable { get; } = executable;

    public async Task<string> RunAsync(IEnumerable<string> arguments, string? workingDirectory = null, CancellationToken cancellation = default)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new MissingToolException(Executable, installHint);
        }
        catch (Win32Exception)
        {
            throw new MissingToolException(Executable, installHint);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellation);
            var stderr = process.StandardError.ReadToEndAsync(cancellation);
            await process.WaitForExitAsync(cancellation);
            if (process.ExitCode != 0)
                throw new ExternalToolException($"{Executable} {string.Join(' ', start.ArgumentList)} failed (exit {process.ExitCode}): {(await stderr).Trim()}");
            return await stdout;
        }
    }
}

/// <summary>An external tool ran and failed; the message carries its error output.</summary>
public sealed class ExternalToolException(string message) : Exception(message);
