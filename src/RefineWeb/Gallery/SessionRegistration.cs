using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.Extensions.DependencyInjection.Extensions;
using RefineWeb.Contracts;
using static RefineWeb.Contracts.SessionIdentity;

namespace RefineWeb.Gallery;

/// <summary>Sessions in the pipeline: a cookie (or a script's access token) names the owner of every request (<see cref="SessionIdentity"/>).</summary>
public static class SessionRegistration
{
    /// <summary>The default scheme: an access token when the request carries one, else the session cookie.</summary>
    const string SessionOrToken = "SessionOrToken";

    public static void AddSessions(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<AccessTokenService>();
        services.AddSingleton<AccessTokenConnections>();
        services.AddAuthentication(SessionOrToken)
            .AddPolicyScheme(SessionOrToken, "Session cookie or access token", o =>
                o.ForwardDefaultSelector = context => AccessTokenAuthentication.TokenOf(context.Request) is null ? Scheme : AccessTokenAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, AccessTokenAuthentication>(AccessTokenAuthentication.SchemeName, null)
            .AddCookie(Scheme, o =>
        {
            o.Cookie.Name = CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            o.Cookie.SameSite = SameSiteMode.Lax; // Strict would drop the cookie when the user arrives by a link and show an empty gallery
            o.ExpireTimeSpan = TimeSpan.FromDays(365);
            o.SlidingExpiration = true;
            // Nothing requires sign-in: no login page to redirect to.
            o.Events.OnRedirectToLogin = context => { context.Response.StatusCode = StatusCodes.Status401Unauthorized; return Task.CompletedTask; };
        });
        services.AddAuthorization();
        services.AddCascadingAuthenticationState();
    }

    /// <summary>
    /// Gives a request without a session a new one (cookie set on the response, usable by this request already) when
    /// it goes to a page or an endpoint marked <see cref="RequiresSessionAttribute"/>. Scripts, styles, health checks
    /// and <see cref="PublicPageAttribute"/> pages start none, so a visitor of a share link gets no cookie.
    /// </summary>
    public static void UseSessions(this WebApplication app)
    {
        app.UseAuthentication();
        app.Use(async (context, next) =>
        {
            if (context.User.FindOwner() is null && AccessTokenAuthentication.TokenOf(context.Request) is not null)
            {
                // A script that sent a token means a session it already has: never hand it a new, empty one instead.
                await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "The access token is not valid",
                    detail: "It was revoked, or it is mistyped. Create a new one on the gallery page (Scripts and the API).").ExecuteAsync(context);
                return;
            }
            if (context.User.FindFirst(TokenClaim) is not null && !IsForTokens(context.Request.Path))
            {
                // A token is a script's key to the API, not a browser session: it cannot open the pages (nor the
                // page's circuit), where tokens are created and revoked, so a leaked token cannot outlive its revocation.
                await Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Access tokens are for the API only",
                    detail: $"A token works on {Paths.Api}/... and the hub at {Paths.Hub}. Open the pages in a browser, whose session cookie can create and revoke tokens.")
                    .ExecuteAsync(context);
                return;
            }
            if (context.User.FindOwner() is null && NeedsSession(context.GetEndpoint()))
            {
                var session = NewSession();
                await context.SignInAsync(Scheme, session, new AuthenticationProperties { IsPersistent = true });
                context.User = session;
                MarkNewSession(context);
                // A script should not wonder why its images vanish: it is told on every answer that starts a session.
                context.Response.Headers[NewSessionHeader] = NewSessionNotice;
            }
            await next(context);
        });
        app.UseAuthorization();
    }

    static bool IsForTokens(PathString path) => path.StartsWithSegments(Paths.Api) || path.StartsWithSegments(Paths.Hub);

    static bool NeedsSession(Endpoint? endpoint) => endpoint is not null
        && (endpoint.Metadata.GetMetadata<RequiresSessionAttribute>() is not null
            || (endpoint.Metadata.GetMetadata<ComponentTypeMetadata>() is not null && endpoint.Metadata.GetMetadata<PublicPageAttribute>() is null));
}
