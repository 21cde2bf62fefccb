using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using RefineWeb.Contracts;

namespace RefineWeb.Security;

/// <summary>
/// One limit on creating things (generations, refinements, upscales, uploads, shares) for the REST API, the hub and
/// the page alike: <see cref="CreationLimits.CreationsPerMinute"/> a minute per session when the request carries a
/// session it already had, and as much for all cookieless requests of one client address together (a client
/// dropping its cookie gets a fresh session every time, but not a fresh bucket). Every request from an address also
/// draws on that address's larger bucket (<see cref="CreationLimits.CreationsPerMinutePerAddress"/>), so minting
/// sessions does not multiply the limit either. Token buckets from System.Threading.RateLimiting.
/// </summary>
public sealed class CreationLimiter : IDisposable
{
    readonly PartitionedRateLimiter<string> limiter;

    const string AddressPrefix = "address:";

    public CreationLimiter(IOptions<CreationLimits> options)
    {
        PerMinute = options.Value.CreationsPerMinute;
        int perAddress = Math.Max(PerMinute, options.Value.CreationsPerMinutePerAddress);
        limiter = PartitionedRateLimiter.Create<string, string>(key =>
        {
            int limit = key.StartsWith(AddressPrefix, StringComparison.Ordinal) ? perAddress : PerMinute;
            return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = limit, // a burst of a minute's worth, then a steady trickle
                TokensPerPeriod = Math.Max(1, limit / 6),
                ReplenishmentPeriod = TimeSpan.FromSeconds(10),
                QueueLimit = 0,
            });
        });
    }

    public int PerMinute { get; }

    /// <summary>A request (or a hub connection's handshake request): its session's or cookieless bucket, and its address's.</summary>
    public (bool Allowed, TimeSpan RetryAfter) TryAcquire(HttpContext context)
    {
        var address = Normalize(context.Connection.RemoteIpAddress);
        var caller = !SessionIdentity.IsNewSession(context) && context.User.FindOwner() is { } owner ? SessionKey(owner) : "cookieless:" + address;
        return TryAcquire([caller, AddressPrefix + address]);
    }

    /// <summary>The page: its circuit always has the session of the browser's cookie.</summary>
    public (bool Allowed, TimeSpan RetryAfter) TryAcquire(Guid owner) => TryAcquire([SessionKey(owner)]);

    (bool Allowed, TimeSpan RetryAfter) TryAcquire(string[] keys)
    {
        foreach (var key in keys)
        {
            using var lease = limiter.AttemptAcquire(key);
            if (!lease.IsAcquired) return (false, lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(10));
        }
        return (true, TimeSpan.Zero);
    }

    static string SessionKey(Guid owner) => "session:" + owner.ToString("N");

    static string Normalize(IPAddress? address) => (address?.IsIPv4MappedToIPv6 == true ? address.MapToIPv4() : address)?.ToString() ?? "unknown";

    /// <summary>The message a person reads when refused.</summary>
    public string Message(TimeSpan retryAfter) =>
        $"You may create {PerMinute} {(PerMinute == 1 ? "item" : "items")} a minute; try again in {Seconds(retryAfter)} s.";

    public static string Seconds(TimeSpan wait) => Math.Max(1, Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    public void Dispose() => limiter.Dispose();
}

/// <summary>REST endpoints that create something: the limit as an endpoint filter (429, ProblemDetails, Retry-After).</summary>
public static class CreationLimitEndpoints
{
    /// <summary>The limit, and in the OpenAPI document the refusals every creating endpoint may answer.</summary>
    public static RouteHandlerBuilder RequireCreationLimit(this RouteHandlerBuilder builder) =>
        builder.AddCreationLimit().ProducesStateChangeRefusals().ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    /// <summary>In the OpenAPI document: a cross-site request (403) and storage that cannot be written (503).</summary>
    public static RouteHandlerBuilder ProducesStateChangeRefusals(this RouteHandlerBuilder builder) =>
        builder.ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    static RouteHandlerBuilder AddCreationLimit(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var limiter = http.RequestServices.GetRequiredService<CreationLimiter>();
            var (allowed, wait) = limiter.TryAcquire(http);
            if (allowed) return await next(context);
            http.Response.Headers.RetryAfter = CreationLimiter.Seconds(wait);
            return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests", detail: limiter.Message(wait));
        });
}
