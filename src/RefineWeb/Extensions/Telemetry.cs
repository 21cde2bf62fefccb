using System.Security.Cryptography;
using System.Text;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using RefineWeb.Generation;

namespace RefineWeb.Extensions;

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

    public static void AddTelemetry(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (options.PrometheusEnabled && (options.PrometheusToken?.Trim().Length ?? 0) < MinimumTokenLength)
            throw new InvalidOperationException(
                $"{TelemetryOptions.Section}:PrometheusEnabled is on but {TelemetryOptions.Section}:PrometheusToken is missing or shorter than {MinimumTokenLength} characters; set a long random token (the scraper sends it as a bearer token).");
        builder.Services.AddSingleton(options);
        var otlp = string.IsNullOrWhiteSpace(options.OtlpEndpoint) ? null : new Uri(options.OtlpEndpoint);
        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(GenerationMetrics.MeterName).AddMeter(FrameworkMeters).AddRuntimeInstrumentation();
                if (options.PrometheusEnabled) metrics.AddPrometheusExporter();
                if (otlp is not null) metrics.AddOtlpExporter(o => o.Endpoint = otlp);
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource(JobTracing.SourceName).AddAspNetCoreInstrumentation();
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
