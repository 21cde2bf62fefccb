namespace RefineWeb.Security;

/// <summary>Error answers, creation limits, cross-site refusal and response headers, wired in one place.</summary>
public static class SecurityRegistration
{
    public static void AddSecurity(this IServiceCollection services)
    {
        services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.Section);
        services.AddErrorResponses();
        services.AddOptions<CreationLimits>().BindConfiguration(CreationLimits.Section)
            .Validate(o => o.CreationsPerMinute >= 1, "Gallery:CreationsPerMinute must be at least 1.");
        services.AddSingleton<CreationLimiter>();
        // Secure whenever the request is https (the default never marks it Secure). Not Always: antiforgery then
        // refuses to render pages served over plain http, which `dotnet run` on localhost is.
        services.AddAntiforgery(o => o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);
    }

    /// <summary>First in the pipeline, so that even refusals and errors carry the headers and a ProblemDetails body.</summary>
    public static void UseSecurity(this WebApplication app)
    {
        app.UseMiddleware<SecurityHeaders>();
        app.UseErrorResponses();
        app.UseMiddleware<OriginCheck>();
    }
}
