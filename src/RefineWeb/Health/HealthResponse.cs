using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RefineWeb.Health;

/// <summary>/healthz as JSON: overall status and each check's status and description.</summary>
public static class HealthResponse
{
    public static Task WriteJson(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }));
    }
}
