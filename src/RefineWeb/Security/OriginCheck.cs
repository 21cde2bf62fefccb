using Microsoft.Extensions.Options;

namespace RefineWeb.Security;

/// <summary>
/// Refuses cross-site requests that would change something: a POST, PUT, PATCH or DELETE, or any request to a
/// SignalR endpoint (the hub and the page's circuit, whose WebSocket handshake is a GET), whose Origin (or, without
/// one, Referer) is neither this app's own nor in <see cref="SecurityOptions.AllowedOrigins"/>. SameSite=Lax cookies
/// do not cover another port on localhost or a sibling subdomain, which count as the same site. Clients that send
/// neither header (curl, the .NET and Node SignalR clients) are not browsers acting for someone else and pass.
/// </summary>
public sealed class OriginCheck(RequestDelegate next, IOptionsMonitor<SecurityOptions> options)
{
    static readonly string[] SignalRPaths = [Paths.Hub, "/_blazor"];

    public async Task InvokeAsync(HttpContext context)
    {
        if (Applies(context.Request) && RequestOrigin(context.Request) is { } origin && !Allowed(context.Request, origin))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Cross-site request refused",
                    detail: $"Requests from {origin} may not change anything here. Use the app's own page, or add the origin to Security:AllowedOrigins.")
                .ExecuteAsync(context);
            return;
        }
        await next(context);
    }

    static bool Applies(HttpRequest request) =>
        !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
        || SignalRPaths.Any(path => request.Path.StartsWithSegments(path));

    /// <summary>scheme://host[:port] of the page that made the request, or null when the client named none.</summary>
    static string? RequestOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0) return origin; // "null" (a sandboxed frame, a file: page) stays and is refused
        return Uri.TryCreate(request.Headers.Referer.ToString(), UriKind.Absolute, out var referer) ? referer.GetLeftPart(UriPartial.Authority) : null;
    }

    bool Allowed(HttpRequest request, string origin)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri)) return false;
        // Host and port against the request's Host header: right behind a TLS-terminating proxy too, where the
        // request reaching the app is http but the page's origin is https.
        if (string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)) return true;
        return options.CurrentValue.AllowedOrigins.Any(allowed =>
            Uri.TryCreate(allowed, UriKind.Absolute, out var a) && a.Scheme == uri.Scheme && string.Equals(a.Authority, uri.Authority, StringComparison.OrdinalIgnoreCase));
    }
}
