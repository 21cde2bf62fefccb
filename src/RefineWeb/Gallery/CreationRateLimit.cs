using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace RefineWeb.Gallery;

/// <summary>Creation endpoints (generations, refinements, upscales, uploads, shares) allow each session
/// <see cref="GalleryOptions.CreationsPerMinute"/> requests a minute; past that, 429 with Retry-After.</summary>
public static class CreationRateLimit
{
    public const string Policy = "creation";

    public static void AddCreationRateLimit(this IServiceCollection services)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(Policy, context =>
            {
                int perMinute = context.RequestServices.GetRequiredService<IOptions<GalleryOptions>>().Value.CreationsPerMinute;
                var session = context.User.FindOwner()?.ToString() ?? "no-session";
                return RateLimitPartition.GetTokenBucketLimiter(session, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = perMinute, // a burst of a minute's worth, then a steady trickle
                    TokensPerPeriod = Math.Max(1, perMinute / 6),
                    ReplenishmentPeriod = TimeSpan.FromSeconds(10),
                    QueueLimit = 0,
                });
            });
            limiter.OnRejected = async (context, cancellation) =>
            {
                var response = context.HttpContext.Response;
                response.StatusCode = StatusCodes.Status429TooManyRequests;
                var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(10);
                response.Headers.RetryAfter = Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                await Results.Problem(statusCode: 429, title: "Too many requests",
                        detail: $"This session may create {context.HttpContext.RequestServices.GetRequiredService<IOptions<GalleryOptions>>().Value.CreationsPerMinute} items a minute; try again in {Math.Ceiling(wait.TotalSeconds)} s.")
                    .ExecuteAsync(context.HttpContext);
            };
        });
    }
}
