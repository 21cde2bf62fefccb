using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.SignalR.Client;
using RefineWeb.Generation;

namespace RefineWeb.Benchmarks;

/// <summary>Users of the hub for the load benchmarks: each its own connection, every step's preview received.</summary>
static class HubLoad
{
    public static async Task<HubConnection> ConnectAsync(BenchHost host)
    {
        var connection = new HubConnectionBuilder().WithUrl(host.Address + Paths.Hub)
            .AddMessagePackProtocol(o => o.SerializerOptions = HubMessagePack.Options).Build(); // the server's field names
        await connection.StartAsync();
        return connection;
    }

    /// <summary>One generation over the hub, every step's previews received; returns (ms to first preview, ms to final event).</summary>
    public static async Task<(double FirstPreview, double Total)> StreamedAsync(HubConnection connection, string prompt, long seed)
    {
        var clock = Stopwatch.StartNew();
        double first = double.NaN;
        await foreach (var update in connection.StreamAsync<GenerationEvent>("Generate", new GenerationInput { Prompt = prompt, Seed = seed }))
        {
            if (update.Previews is not null && double.IsNaN(first)) first = clock.Elapsed.TotalMilliseconds;
            if (update.IsFinal && update.Status != GenerationStatus.Succeeded) throw new InvalidOperationException($"{update.Status}: {update.Error}");
        }
        return (first, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>The value below which <paramref name="share"/> of the values lie (nearest rank).</summary>
    public static double Percentile(IEnumerable<double> values, double share)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(share * sorted.Length) - 1)];
    }
}
