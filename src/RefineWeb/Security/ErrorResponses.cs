using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;

namespace RefineWeb.Security;

/// <summary>
/// Every failure answers a ProblemDetails with a status and a message a person can act on, in every environment:
/// unhandled exceptions (handled in place, not re-run against an error page), and empty error responses (405, an
/// unknown API path, ...) from the status-code pages. Exception text never reaches the client; the trace id does,
/// and the log has the rest. A browser asking for a page that does not exist gets the app's not-found page instead.
/// </summary>
public static class ErrorResponses
{
    public static void AddErrorResponses(this IServiceCollection services) =>
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            if (context.Exception is { } e) (problem.Title, problem.Detail) = Describe(e, problem.Status ?? 500);
            else problem.Detail ??= Explain(context.HttpContext.Request, problem.Status ?? 500); // an empty error response made readable
            // Every "unavailable" is an outage or a model still loading: say when to look again (clients back off by it).
            if (problem.Status == StatusCodes.Status503ServiceUnavailable && !context.HttpContext.Response.HasStarted)
                context.HttpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        });

    public static void UseErrorResponses(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = StatusOf, SuppressDiagnosticsCallback = _ => false });
        app.UseStatusCodePages();
        // A person who follows a dead link gets the app's own page (title, language, a way back), not JSON.
        app.UseWhen(IsPageRequest, page => page.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true));
    }

    /// <summary>A browser asking for a page: GET with HTML accepted, outside the API, the hub and the framework's files.</summary>
    static bool IsPageRequest(HttpContext context)
    {
        var request = context.Request;
        return HttpMethods.IsGet(request.Method) && request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase))
            && !request.Path.StartsWithSegments("/api") && !request.Path.StartsWithSegments("/hubs") && !request.Path.StartsWithSegments("/_blazor")
            && !request.Path.StartsWithSegments("/_framework") && !request.Path.StartsWithSegments("/_content");
    }

    /// <summary>The client's fault (a request Kestrel refused), a storage fault (try again later), or ours.</summary>
    internal static int StatusOf(Exception e) => e switch
    {
        BadHttpRequestException bad => bad.StatusCode,
        _ when IsStorageFault(e) || IsQueueFault(e) => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>What a 503 tells a client to wait before trying again.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>The job queue (a cluster's Redis) is out of reach: the same words from the API and the hub.</summary>
    public const string QueueUnreachableTitle = "The job queue is unreachable right now";

    public const string QueueUnreachableDetail = "The server cannot reach its job queue (Redis); nothing was queued or changed. Try again in a few seconds.";

    static (string Title, string Detail) Describe(Exception e, int status) => status switch
    {
        StatusCodes.Status503ServiceUnavailable when IsQueueFault(e) => (QueueUnreachableTitle, QueueUnreachableDetail),
        StatusCodes.Status413PayloadTooLarge => ("The request is too large", "The request body is larger than this server accepts; send a smaller file."),
        StatusCodes.Status503ServiceUnavailable => ("The gallery cannot be written right now",
            "The server could not save or change your images (its storage or database is unavailable); nothing was changed. Try again later."),
        >= 400 and < 500 => ("The request could not be read", "The request is malformed; check its headers and body."),
        _ => ("Something went wrong on the server", "The request failed on the server and changed nothing; try again, and report the trace id if it keeps failing."),
    };

    /// <summary>What a person can do about an error response that came without a body (routing, status-code pages).</summary>
    static string Explain(HttpRequest request, int status) => status switch
    {
        StatusCodes.Status404NotFound => $"There is nothing at {request.Path}; the API is described at /openapi/v1.json.",
        StatusCodes.Status405MethodNotAllowed => $"{request.Path} does not accept {request.Method}; the API is described at /openapi/v1.json.",
        StatusCodes.Status415UnsupportedMediaType => "Send JSON request bodies with Content-Type: application/json, and uploads as multipart/form-data.",
        StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden => "This request is not allowed.",
        _ => "The request could not be completed.",
    };

    /// <summary>A cluster's Redis out of reach (its timeouts are not RedisExceptions).</summary>
    internal static bool IsQueueFault(Exception e) => e is StackExchange.Redis.RedisException or StackExchange.Redis.RedisTimeoutException;

    static bool IsStorageFault(Exception e) =>
        e is IOException or UnauthorizedAccessException or DbException or DbUpdateException || e.InnerException is { } inner && IsStorageFault(inner);
}
