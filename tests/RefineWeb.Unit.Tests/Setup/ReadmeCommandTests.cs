using System.Text.RegularExpressions;

namespace RefineWeb.Unit.Tests.Setup;

/// <summary>The README's set-up commands are what people copy first: they must run the app as it should be served.</summary>
public sealed partial class ReadmeCommandTests
{
    [Fact]
    public void The_first_command_runs_the_app_as_an_optimized_release_build()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "RefineWeb.sln"))) root = root.Parent!;
        var readme = File.ReadAllText(Path.Combine(root.FullName, "README.md"));
        var setUp = readme[readme.IndexOf("## Set up", StringComparison.Ordinal)..];
        var first = ShellBlock().Match(setUp).Groups[1].Value.Trim();

        Assert.StartsWith("dotnet run ", first);
        Assert.Contains("--project src/RefineWeb ", first);
        Assert.Matches(@"(^|\s)(-c|--configuration) Release(\s|$)", first);
    }

    [GeneratedRegex(@"```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();
}
