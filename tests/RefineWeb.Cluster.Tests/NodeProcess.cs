using System.Diagnostics;

namespace RefineWeb.Cluster.Tests;

/// <summary>
/// One RefineWeb process of the test cluster (a web node or a worker), started from src/RefineWeb's build output
/// with the cluster's settings as environment variables; its output goes to a log file the failure messages name.
/// </summary>
public sealed class NodeProcess : IDisposable
{
    readonly ProcessStartInfo start;
    readonly string logPath;
    Process process;

    public NodeProcess(string name, IReadOnlyDictionary<string, string> settings, string logDirectory, bool worker)
    {
        Name = name;
        logPath = Path.Combine(logDirectory, name + ".log");
        start = new ProcessStartInfo("dotnet", worker ? [AppPath, "worker"] : [AppPath])
        {
            WorkingDirectory = RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var (key, value) in settings) start.Environment[key.Replace(":", "__")] = value;
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        process = Launch();
    }

    public string Name { get; }
    public int Pid => process.Id;
    public bool HasExited => process.HasExited;

    /// <summary>Ended on purpose (killed by the test); a watchdog restarts only the others (crashed workers).</summary>
    public bool Stopped { get; private set; }

    Process Launch()
    {
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var launched = Process.Start(start)!;
        launched.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        launched.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        launched.BeginOutputReadLine();
        launched.BeginErrorReadLine();
        return launched;
    }

    /// <summary>SIGKILL: the process gets no chance to finish anything.</summary>
    public void Kill(bool restartLater = false)
    {
        Stopped = !restartLater;
        if (!process.HasExited) process.Kill();
        process.WaitForExit(10_000);
    }

    /// <summary>SIGTERM: the process shuts down as a deploy or a scale-in would stop it, and exits.</summary>
    public void Terminate()
    {
        Stopped = true;
        if (!process.HasExited) Process.Start("kill", ["-TERM", process.Id.ToString()])!.WaitForExit();
        if (!process.WaitForExit(30_000)) process.Kill();
    }

    public void Restart()
    {
        if (!process.HasExited) Kill();
        process.Dispose();
        Stopped = false;
        process = Launch();
    }

    public string LogTail(int lines = 40)
    {
        try
        {
            using var reader = new StreamReader(new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            return string.Join('\n', reader.ReadToEnd().Split('\n').TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    public void Dispose()
    {
        Stopped = true;
        if (!process.HasExited) process.Kill();
        process.WaitForExit(10_000);
        process.Dispose();
    }

    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The web host's build of the same configuration as these tests (the solution builds it first).</summary>
    static string AppPath
    {
        get
        {
            string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
            var path = Path.Combine(RepositoryRoot, "src", "RefineWeb", "bin", configuration, "net10.0", "RefineWeb.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"Build src/RefineWeb ({configuration}) first: {path} is missing.");
        }
    }

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "RefineWeb.sln"))) return dir.FullName;
        throw new InvalidOperationException("RefineWeb.sln not found above the test's directory.");
    }
}
