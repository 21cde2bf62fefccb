namespace RefineWeb.Security;

/// <summary>
/// Headers on every response: no MIME sniffing, no framing by other sites, no referrer to other sites, and a
/// Content-Security-Policy under which the Blazor Server page and MudBlazor work (scripts and connections to this
/// origin only; inline styles, which MudBlazor's components set; images from here and the data: URLs previews use).
/// API answers are not cached by anyone (they change as jobs run) unless the endpoint says otherwise.
/// </summary>
public sealed class SecurityHeaders(RequestDelegate next)
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

    public Task InvokeAsync(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "SAMEORIGIN";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "same-origin";
        if (context.Request.Path.StartsWithSegments("/api"))
            context.Response.OnStarting(() =>
            {
                if (!context.Response.Headers.ContainsKey("Cache-Control")) context.Response.Headers.CacheControl = "no-store";
                return Task.CompletedTask;
            });
        return next(context);
    }
}
