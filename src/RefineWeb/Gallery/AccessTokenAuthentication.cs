using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using RefineWeb.Generation;

namespace RefineWeb.Gallery;

/// <summary>
/// Signs a request in as the session that made its access token: <c>Authorization: Bearer rw_...</c>, or, on the hub
/// (where browsers' WebSockets cannot send headers), the <c>access_token</c> query parameter SignalR clients use.
/// </summary>
public sealed class AccessTokenAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    AccessTokenService tokens) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AccessToken";

    /// <summary>The token the request carries, or null when it carries none.</summary>
    public static string? TokenOf(HttpRequest request)
    {
        if (request.Path.StartsWithSegments(Paths.Metrics)) return null; // the operator's scrape token, checked by the telemetry
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header["Bearer ".Length..].Trim();
        if (request.Path.StartsWithSegments(Paths.Hub) && request.Query.TryGetValue("access_token", out var query)) return query.ToString();
        return null;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (TokenOf(Request) is not { } token) return AuthenticateResult.NoResult();
        if (await tokens.FindAsync(token, Context.RequestAborted) is not { } found)
            return AuthenticateResult.Fail("The access token is not valid: it was revoked, or it is mistyped.");
        var identity = new ClaimsIdentity([new Claim(SessionIdentity.OwnerClaim, found.Owner.ToString()), new Claim(SessionIdentity.TokenClaim, found.TokenId)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
