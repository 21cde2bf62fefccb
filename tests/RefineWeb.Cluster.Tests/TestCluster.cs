using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace RefineWeb.Cluster.Tests;

/// <summary>
/// A real cluster for the tests: a redis-server, a fresh database on the test PostgreSQL server (scripts/test.sh
/// starts it; REFINEWEB_TEST_POSTGRES), two web nodes and two workers (one libtorch thread each) sharing an image
/// folder. A watchdog restarts a worker that died on its own (as systemd would); one a test kills on purpose stays
/// down until the test restarts it. Workers die of their own accord on the prompt <see cref="PoisonPrompt"/>.
/// </summary>
public sealed class TestCluster : IAsyncLifetime
{
    public const string PoisonPrompt = "poison pill";

    /// <summary>The operator's token for the web nodes' /metrics (Prometheus is on in the test cluster).</summary>
    public const string MetricsToken = "cluster-scrape-token-0123456789";

    readonly string directory = Directory.CreateTempSubdirectory("refineweb-cluster-").FullName;
    readonly string database = $"refineweb_cluster_{Guid.NewGuid():N}";
    readonly CancellationTokenSource stopping = new();
    Task? watchdog;

    public RedisServer Redis { get; private set; } = null!;
    public List<NodeProcess> Webs { get; } = [];
    public List<NodeProcess> Workers { get; } = [];
    public List<string> WebUrls { get; } = [];
    public string GalleryConnection { get; private set; } = "";

    static string PostgresServer() => Environment.GetEnvironmentVariable("REFINEWEB_TEST_POSTGRES") is { Length: > 0 } server ? server
        : throw new InvalidOperationException("REFINEWEB_TEST_POSTGRES is not set: run the tests with scripts/test.sh, which starts PostgreSQL on 127.0.0.1 and sets it.");

    public async Task InitializeAsync()
    {
        Redis = await RedisServer.StartAsync();
        GalleryConnection = $"{PostgresServer()};Database={database}";
        for (int i = 1; i <= 2; i++)
        {
            int port = FreePort();
            WebUrls.Add($"http://localhost:{port}");
            Webs.Add(new NodeProcess($"web-{i}", Settings(new() { ["ASPNETCORE_URLS"] = WebUrls[^1] }), directory, worker: false));
            if (i == 1) await WaitForWebAsync(0); // the first creates the database
        }
        await WaitForWebAsync(1);
        for (int i = 1; i <= 2; i++)
            Workers.Add(new NodeProcess($"worker-{i}", Settings(new() { ["Generation:WorkerName"] = $"worker-{i}" }), directory, worker: true));
        foreach (var worker in Workers) await WaitForWorkerAsync(worker);
        watchdog = Task.Run(WatchAsync);
    }

    Dictionary<string, string> Settings(Dictionary<string, string> own)
    {
        var settings = new Dictionary<string, string>
        {
            ["Engine:Mode"] = "Distributed", ["ConnectionStrings:Redis"] = Redis.ConnectionString,
            ["Gallery:Provider"] = "PostgreSql", ["ConnectionStrings:Gallery"] = GalleryConnection,
            ["Gallery:ImageDirectory"] = Path.Combine(directory, "images"), ["Gallery:CreationsPerMinute"] = "1000",
            ["Engine:CrashOnPrompt"] = PoisonPrompt, ["Generation:Threads"] = "1",
            ["Telemetry:PrometheusEnabled"] = "true", ["Telemetry:PrometheusToken"] = MetricsToken, ["Telemetry:StatusIntervalSeconds"] = "0.5",
        };
        foreach (var (key, value) in own) settings[key] = value;
        return settings;
    }

    /// <summary>Until the node answers /healthz with the model loaded.</summary>
    public async Task WaitForWebAsync(int index)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                using var health = await http.GetAsync(WebUrls[index] + "/healthz");
                if (health.StatusCode == HttpStatusCode.OK && !(await health.Content.ReadAsStringAsync()).Contains("loading")) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline || Webs[index].HasExited)
                throw new TimeoutException($"{Webs[index].Name} never became healthy:\n{Webs[index].LogTail()}");
            await Task.Delay(200);
        }
    }

    /// <summary>Until the worker has loaded its model (it takes jobs from then on).</summary>
    public static async Task WaitForWorkerAsync(NodeProcess worker)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!worker.LogTail(400).Contains("Loaded "))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{worker.Name} never loaded its model:\n{worker.LogTail()}");
            await Task.Delay(200);
        }
    }

    async Task WatchAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            foreach (var worker in Workers.ToList())
                if (worker.HasExited && !worker.Stopped) worker.Restart();
            try { await Task.Delay(250, stopping.Token); } catch (OperationCanceledException) { }
        }
    }

    /// <summary>Rows of the gallery table, straight from PostgreSQL.</summary>
    public async Task<List<(string Id, string? Prompt)>> ImageRowsAsync()
    {
        await using var connection = new NpgsqlConnection(GalleryConnection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""SELECT "Id", "Prompt" FROM "Images" """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string?)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        return rows;
    }

    public string Logs() => string.Join("\n\n", Webs.Concat(Workers).Select(n => $"== {n.Name}\n{n.LogTail(25)}"));

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        stopping.Cancel();
        if (watchdog is not null) await watchdog;
        foreach (var node in Webs.Concat(Workers)) node.Dispose();
        await Redis.DisposeAsync();
        await using (var connection = new NpgsqlConnection(PostgresServer()))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>The tests that use the cluster run one after another on one cluster (it costs four processes to start).</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<TestCluster>
{
    public const string Name = "cluster";
}
