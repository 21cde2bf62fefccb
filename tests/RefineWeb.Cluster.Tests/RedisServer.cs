using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace RefineWeb.Cluster.Tests;

/// <summary>A throwaway redis-server on 127.0.0.1 (append-only file on, so a restart keeps its data), stopped on dispose.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("refineweb-redis-").FullName;
    Process? process;

    public int Port { get; } = FreePort();
    public string ConnectionString => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer();
        await server.StartProcessAsync();
        return server;
    }

    async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo("redis-server",
            ["--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", directory, "--appendonly", "yes", "--appendfsync", "always", "--save", ""])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("redis-server is not installed: run scripts/test.sh, which installs it (Debian's redis-server).", e);
        }
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync(ConnectionString);
                // PING is answered while the append-only file is still loading; a read is not (LOADING) until the data is back.
                await probe.GetDatabase().StringGetAsync("readiness-probe");
                return;
            }
            catch (Exception e) when ((e is RedisConnectionException || e is RedisServerException && e.Message.StartsWith("LOADING", StringComparison.Ordinal))
                && DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Stops the server cleanly (it writes its append-only file) and starts it again on the same port and data.</summary>
    public async Task RestartAsync()
    {
        Stop();
        await StartProcessAsync();
    }

    /// <summary>Stops the server (cleanly); <see cref="StartAsync()"/> brings it back on the same port and data.</summary>
    public void StopServer() => Stop();

    public Task StartServerAsync() => StartProcessAsync();

    void Stop()
    {
        if (process is null || process.HasExited) return;
        Process.Start("kill", ["-TERM", process.Id.ToString()]).WaitForExit();
        if (!process.WaitForExit(10_000)) process.Kill();
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        process?.Dispose();
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
