namespace RefineWeb.Security;

/// <summary>Error answers, creation limits, cross-site refusal and response headers, wired in one place.</summary>
public static class SecurityRegistration
{
    public static void AddSecurity(this IServiceCollection services)
    {
        services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.Section);
        services.AddErrorResponses();
        services.AddSingleton<CreationLimiter>();
        services.AddAntiforgery(o => o.Cookie.SecurePolicy = CookieSecurePolicy.Always);
    }

    /// <summary>First in the pipeline, so that even refusals and errors carry the headers and a ProblemDetails body.</summary>
    public static void UseSecurity(this WebApplication app)
    {
        app.UseMiddleware<SecurityHeaders>();
        app.UseErrorResponses();
        app.UseMiddleware<OriginCheck>();
    }
}
