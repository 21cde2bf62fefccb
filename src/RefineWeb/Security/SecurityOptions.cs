namespace RefineWeb.Security;

/// <summary>The "Security" section of appsettings.json.</summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";

    /// <summary>
    /// Origins (scheme://host[:port]) besides the app's own that may make state-changing requests and open the hub,
    /// for example a separate front end. Empty by default: only the app's own pages may.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];
}
