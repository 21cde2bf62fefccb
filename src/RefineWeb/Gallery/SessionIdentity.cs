using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace RefineWeb.Gallery;

/// <summary>
/// A browser session is an owner: a random id in a cookie-authentication ticket (HttpOnly, Secure, SameSite=Lax,
/// protected by the data-protection keys in the database). No accounts yet; an account would sign in with the same
/// claim and take the session's images over.
/// </summary>
public static class SessionIdentity
{
    public const string Scheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string CookieName = "refineweb.session";
    public const string OwnerClaim = "refineweb:owner";

    public static Guid? FindOwner(this ClaimsPrincipal? user) =>
        Guid.TryParse(user?.FindFirst(OwnerClaim)?.Value, out var owner) ? owner : null;

    /// <summary>The session's owner id; every request has one once <see cref="UseSessions"/> has run.</summary>
    public static Guid Owner(this ClaimsPrincipal? user) =>
        user.FindOwner() ?? throw new InvalidOperationException("The request has no session (is UseSessions in the pipeline?).");

    public static ClaimsPrincipal NewSession() =>
        new(new ClaimsIdentity([new Claim(OwnerClaim, Guid.NewGuid().ToString())], Scheme));

    public static void AddSessions(this IServiceCollection services)
    {
        services.AddAuthentication(Scheme).AddCookie(Scheme, o =>
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

    /// <summary>Gives a request without a session a new one (cookie set on the response, usable by this request already).
    /// Public share pages and health checks do not start sessions.</summary>
    public static void UseSessions(this WebApplication app)
    {
        app.UseAuthentication();
        app.Use(async (context, next) =>
        {
            if (context.User.FindOwner() is null && !context.Request.Path.StartsWithSegments(ShareService.PathPrefix.TrimEnd('/'))
                && !context.Request.Path.StartsWithSegments("/healthz"))
            {
                var session = NewSession();
                await context.SignInAsync(Scheme, session, new AuthenticationProperties { IsPersistent = true });
                context.User = session;
            }
            await next(context);
        });
        app.UseAuthorization();
    }
}
