namespace RefineWeb.Cli.Tests;

/// <summary>Runs the command tree in-process, exactly as the shell would, capturing both streams.</summary>
static class Cli
{
    public static async Task<(int Exit, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await RefineWebCli.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
