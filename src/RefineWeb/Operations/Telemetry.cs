using Npgsql;
using System.Security.Cryptography;
using System.Text;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using RefineWeb.Generation;

namespace RefineWeb.Operations;

/// <summary>The operator's settings (section "Telemetry"): nothing is exported unless asked for.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>Serve the metrics at <see cref="Telemetry.MetricsPath"/> in Prometheus' text format.</summary>
    public bool PrometheusEnabled { get; set; }

    /// <summary>Send traces (and metrics) over OTLP to this collector ("http://collector:4317"); none when unset.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>The bearer token a scraper must send (at least 16 characters); required when the endpoint is on.</summary>
    public string? PrometheusToken { get; set; }

    /// <summary>The live status page at <see cref="Contracts.Paths.Status"/> (figures only: no prompts, images or sessions).</summary>
    public bool StatusPageEnabled { get; set; } = true;

    /// <summary>How often each engine tells its figures and the status page takes a sample.</summary>
    public double StatusIntervalSeconds { get; set; } = 5;

    /// <summary>How far back the status page's charts reach.</summary>
    public double StatusMinutes { get; set; } = 10;

    public TimeSpan StatusInterval => TimeSpan.FromSeconds(StatusIntervalSeconds);
}

/// <summary>
/// OpenTelemetry traces (a job's, see <see cref="JobTracing"/>, under the request that submitted it) and metrics: the engine's own meter (<see cref="GenerationMetrics"/>), ASP.NET Core's (requests,
/// Kestrel, SignalR connections, Blazor circuits) and the runtime's; a Prometheus scraping endpoint when configured,
/// answering only a request that carries the operator's token.
/// </summary>
public static class Telemetry
{
    public const string MetricsPath = Contracts.Paths.Metrics;
    public const int MinimumTokenLength = 16;

    /// <summary>The framework's meters an operator reads beside the engine's.</summary>
    static readonly string[] FrameworkMeters =
    [
        "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Http.Connections",
        "Microsoft.AspNetCore.Components", "Microsoft.AspNetCore.Components.Server.Circuits",
    ];

    /// <summary>
    /// A web node's telemetry, or a cluster worker's (<paramref name="web"/> false: no HTTP, so no scraping endpoint;
    /// its figures reach the web nodes' endpoint and status page through the status board, its traces go over OTLP).
    /// </summary>
    public static void AddTelemetry(this IHostApplicationBuilder builder, bool web = true)
    {
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (web && options.PrometheusEnabled && (options.PrometheusToken?.Trim().Length ?? 0) < MinimumTokenLength)
            throw new InvalidOperationException(
                $"{TelemetryOptions.Section}:PrometheusEnabled is on but {TelemetryOptions.Section}:PrometheusToken is missing or shorter than {MinimumTokenLength} characters; set a long random token (the scraper sends it as a bearer token).");
        if (options.StatusIntervalSeconds is < 0.2 or > 600 || options.StatusMinutes is < 1 or > 24 * 60)
            throw new InvalidOperationException(
                $"{TelemetryOptions.Section}:StatusIntervalSeconds must be between 0.2 and 600 and {TelemetryOptions.Section}:StatusMinutes between 1 and 1440.");
        builder.Services.AddSingleton(options);
        bool cluster = builder.Services.Any(d => d.ServiceType == typeof(StackExchange.Redis.IConnectionMultiplexer));
        // The status board: engines post their figures to it, web nodes read them (a Redis hash in a cluster).
        if (cluster) builder.Services.AddSingleton<IWorkerBoard, RedisWorkerBoard>();
        else builder.Services.AddSingleton<IWorkerBoard, LocalWorkerBoard>();
        if (builder.Services.Any(d => d.ServiceType == typeof(GenerationMetrics))) builder.Services.AddHostedService<WorkerStatusPoster>(); // this process runs an engine
        if (web)
        {
            builder.Services.AddSingleton<OperatorStatus>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<OperatorStatus>());
        }
        var otlp = string.IsNullOrWhiteSpace(options.OtlpEndpoint) ? null : new Uri(options.OtlpEndpoint);
        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(GenerationMetrics.MeterName, WorkerMetrics.MeterName).AddMeter(FrameworkMeters).AddRuntimeInstrumentation();
                if (web && options.PrometheusEnabled) metrics.AddPrometheusExporter();
                if (otlp is not null) metrics.AddOtlpExporter(o => o.Endpoint = otlp);
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource(JobTracing.SourceName).AddNpgsql(); // the gallery's PostgreSQL (nothing with SQLite)
                if (web) tracing.AddAspNetCoreInstrumentation();
                if (cluster) tracing.AddRedisInstrumentation(); // the queue's own connection, from the services
                if (otlp is not null) tracing.AddOtlpExporter(o => o.Endpoint = otlp);
            });
    }

    /// <summary>The scraping endpoint, when configured; a request without the token gets 401 and no figures.</summary>
    public static void MapTelemetry(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<TelemetryOptions>();
        if (!options.PrometheusEnabled) return;
        var expected = Encoding.UTF8.GetBytes("Bearer " + options.PrometheusToken!.Trim());
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.Equals(MetricsPath, StringComparison.OrdinalIgnoreCase)
                && !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString()), expected))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                    detail: $"The metrics need the operator's token ({TelemetryOptions.Section}:PrometheusToken) as a bearer token.").ExecuteAsync(context);
                return;
            }
            await next(context);
        });
        app.MapPrometheusScrapingEndpoint(MetricsPath);
    }
}
