using System.Net;
using System.Text.RegularExpressions;

namespace RefineWeb.Cluster.Tests;

/// <summary>The operator's view of a cluster: every worker's figures reach every web node's status page and metrics, scraped by a real Prometheus.</summary>
[Collection(ClusterCollection.Name)]
public sealed class OperationsAcrossNodesTests(TestCluster cluster)
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    /// <summary>The worker rows of a web node's status page (prerendered): name, alive, images.</summary>
    static async Task<Dictionary<string, (bool Alive, long Images)>> WorkerRowsAsync(string web)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var html = await http.GetStringAsync(web + "/status");
        return Regex.Matches(html, @"data-testid=""worker-row"" data-worker=""([^""]+)"" data-alive=""(true|false)"".*?data-testid=""worker-images""[^>]*>(\d+)<", RegexOptions.Singleline)
            .ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => (m.Groups[2].Value == "true", long.Parse(m.Groups[3].Value)));
    }

    static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, Func<string> logs)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what}; last seen: {value}\n{logs()}");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Either_web_node_shows_every_worker_with_what_it_made_and_a_killed_worker_turns_silent()
    {
        var both = await UntilAsync(() => WorkerRowsAsync(cluster.WebUrls[1]),
            rows => rows.Count(r => r.Key.StartsWith("worker-") && r.Value.Alive) == 2, "both workers alive on web-2", cluster.Logs);

        using var session = new SessionClient();
        var final = (await session.FollowAsync(cluster.WebUrls[0], await session.PostAsync(cluster.WebUrls[0], new { prompt = "red heart", seed = 91, stages = 2, count = 2 }),
            Patience, cluster.Logs))[^1];
        Assert.Equal("succeeded", final.GetProperty("status").GetString());
        string maker = final.GetProperty("worker").GetString()!;
        // The other node shows the maker's two new images (its totals since it started).
        await UntilAsync(() => WorkerRowsAsync(cluster.WebUrls[1]), rows => rows[maker].Images >= both[maker].Images + 2,
            $"{maker}'s images on web-2", cluster.Logs);

        var victim = cluster.Workers.Single(w => w.Name != maker);
        victim.Kill();
        try
        {
            var rows = await UntilAsync(() => WorkerRowsAsync(cluster.WebUrls[0]), rows => !rows[victim.Name].Alive, $"{victim.Name} silent on web-1", cluster.Logs);
            Assert.True(rows[maker].Alive);
        }
        finally
        {
            victim.Restart();
            await TestCluster.WaitForWorkerAsync(victim);
        }
        await UntilAsync(() => WorkerRowsAsync(cluster.WebUrls[0]), rows => rows[victim.Name].Alive, $"{victim.Name} back on web-1", cluster.Logs);
    }

    [Fact]
    public async Task A_real_Prometheus_scrapes_both_web_nodes_with_the_token_and_sees_the_images_counter_move()
    {
        await using var prometheus = await PrometheusServer.StartAsync(cluster.WebUrls, TestCluster.MetricsToken);
        // Both targets up: the scrape with the operator's token is accepted.
        await UntilAsync(() => prometheus.QueryAsync("up{job=\"refineweb\"}"), up => up.Count == 2 && up.All(s => s.Value == 1),
            "both web nodes scraped", cluster.Logs);
        string images = $"sum(refineweb_worker_images_total{{instance=\"{new Uri(cluster.WebUrls[1]).Authority}\"}})";
        var before = await UntilAsync(() => prometheus.QueryAsync(images), r => r.Count == 1, "the workers' images counter", cluster.Logs);

        using var session = new SessionClient();
        var final = (await session.FollowAsync(cluster.WebUrls[0], await session.PostAsync(cluster.WebUrls[0], new { prompt = "blue heart", seed = 92, stages = 2, count = 3 }),
            Patience, cluster.Logs))[^1];
        Assert.Equal("succeeded", final.GetProperty("status").GetString());

        await UntilAsync(() => prometheus.QueryAsync(images), r => r.Count == 1 && r[0].Value >= before[0].Value + 3, "the images counter moved by 3", cluster.Logs);
        var alive = await prometheus.QueryAsync("refineweb_workers_alive");
        Assert.All(alive, series => Assert.Equal(2, series.Value));
    }
}
