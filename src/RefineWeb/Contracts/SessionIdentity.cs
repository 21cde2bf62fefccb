using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace RefineWeb.Contracts;

/// <summary>Endpoint metadata: requests to it get a session if they have none (the API, the hub).</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class RequiresSessionAttribute : Attribute;

/// <summary>On a page: anyone may open it and it starts no session (share links).</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class PublicPageAttribute : Attribute;

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

    /// <summary>On a request signed in by an access token: the token's id (not the token).</summary>
    public const string TokenClaim = "refineweb:token";

    const string NewSessionItem = "refineweb:new-session";

    /// <summary>On a response that started a session: the request carried no (valid) cookie or token.</summary>
    public const string NewSessionHeader = "RefineWeb-Session";
    public const string NewSessionNotice = "new: the request carried no session cookie or access token, so this is a new, empty session";

    /// <summary>Whether the request came without a (valid) session and was given a new one just now.</summary>
    public static bool IsNewSession(HttpContext context) => context.Items.ContainsKey(NewSessionItem);

    public static Guid? FindOwner(this ClaimsPrincipal? user) =>
        Guid.TryParse(user?.FindFirst(OwnerClaim)?.Value, out var owner) ? owner : null;

    /// <summary>The session's owner id; every request has one once the session middleware has run.</summary>
    public static Guid Owner(this ClaimsPrincipal? user) =>
        user.FindOwner() ?? throw new InvalidOperationException("The request has no session (is UseSessions in the pipeline?).");

    /// <summary>Marks the request as one that was given a new session just now.</summary>
    public static void MarkNewSession(HttpContext context) => context.Items[NewSessionItem] = true;

    public static ClaimsPrincipal NewSession() =>
        new(new ClaimsIdentity([new Claim(OwnerClaim, Guid.NewGuid().ToString())], Scheme));
}
