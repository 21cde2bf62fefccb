namespace RefineWeb.Contracts;

/// <summary>The app's public addresses, built in one place: the API's, the hub's and the page's links all come from here.</summary>
public static class Paths
{
    public const string Api = "/api/v1";
    public const string Hub = "/hubs/generation";
    /// <summary>The Prometheus scraping endpoint (when the operator turns it on); its bearer token is the operator's, not an access token.</summary>
    public const string Metrics = "/metrics";
    /// <summary>The operator's live status page: queue, throughput, step times and workers over the last minutes.</summary>
    public const string Status = "/status";

    /// <summary>A finished or uploaded image's PNG.</summary>
    public static string ImagePng(string id) => $"{Api}/images/{id}.png";

    /// <summary>An image's size, settings and lineage.</summary>
    public static string Image(string id) => $"{Api}/images/{id}";

    /// <summary>The mask a refined image was painted with.</summary>
    public static string ImageMask(string id) => $"{Api}/images/{id}/mask.png";

    /// <summary>A job's status.</summary>
    public static string Generation(string id) => $"{Api}/generations/{id}";
}
