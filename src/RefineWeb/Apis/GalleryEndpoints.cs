using System.Security.Claims;
using RefineWeb.Gallery;
using RefineWeb.Generation;
using RefineWeb.Security;

namespace RefineWeb.Apis;

/// <summary>POST /api/v1/shares: <c>{"imageId": "..."}</c> for one image, <c>{}</c> for the whole gallery.</summary>
public sealed record ShareInput(string? ImageId = null);

/// <summary>A share link in API answers; <see cref="Url"/> only when just created (the token is not kept).</summary>
public sealed record ShareResponse(string Id, string? ImageId, DateTimeOffset CreatedAt, string? Url)
{
    public static ShareResponse Of(ShareLink link, HttpRequest request) =>
        new(link.Id, link.ImageId, link.CreatedAt, link.Path is { } path ? $"{request.Scheme}://{request.Host}{request.PathBase}{path}" : null);
}

/// <summary>The session's gallery, deleting, share links, and the public image URLs behind a link.</summary>
public static class GalleryEndpoints
{
    public static IEndpointRouteBuilder MapGallery(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Gallery").WithMetadata(new RequiresSessionAttribute());
        api.MapGet("/gallery", async (string? q, string? origin, ClaimsPrincipal user, ImageStore images, CancellationToken cancellation) =>
            {
                if (q is { Length: > GalleryFilter.MaxTextLength })
                    return Results.ValidationProblem(new Dictionary<string, string[]> { ["q"] = [$"Search for at most {GalleryFilter.MaxTextLength} characters."] });
                ImageOrigin? kind = null;
                if (!string.IsNullOrEmpty(origin))
                {
                    if (origin.Any(char.IsDigit) || !Enum.TryParse<ImageOrigin>(origin, ignoreCase: true, out var parsed))
                        return Results.ValidationProblem(new Dictionary<string, string[]>
                        {
                            ["origin"] = [$"Origin must be one of {string.Join(", ", Enum.GetNames<ImageOrigin>().Select(n => n.ToLowerInvariant()))}."],
                        });
                    kind = parsed;
                }
                var found = await images.ListAsync(user.Owner(), cancellation: cancellation, filter: new GalleryFilter(q, kind));
                return Results.Ok(found.Select(ImageInfo.Of));
            })
            .WithSummary("This session's images, newest first; q: only those whose prompt contains it (any case); origin: generated, refined, upscaled or uploaded.")
            .Produces<IEnumerable<ImageInfo>>().ProducesValidationProblem();
        api.MapDelete("/images/{id}", async (string id, ClaimsPrincipal user, ImageStore images, CancellationToken cancellation) =>
                await images.DeleteAsync(user.Owner(), id, cancellation) ? Results.NoContent() : NoImage(id))
            .WithSummary("Delete an image, its share links, and its file when nothing else uses it.").ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesStateChangeRefusals();

        api.MapPost("/shares", CreateShare).RequireCreationLimit()
            .WithSummary("Share one image ({\"imageId\": ...}) or the whole gallery as it is now ({}); returns the public URL (shown once).")
            .Accepts<ShareInput>("application/json").Produces<ShareResponse>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/shares", async (HttpRequest request, ShareService shares, CancellationToken cancellation) =>
                (await shares.ListAsync(request.HttpContext.User.Owner(), cancellation)).Select(link => ShareResponse.Of(link, request)))
            .WithSummary("This session's share links that still work (without their URLs: only their hashes are kept).");
        api.MapDelete("/shares/{id}", async (string id, ClaimsPrincipal user, ShareService shares, CancellationToken cancellation) =>
                await shares.RevokeAsync(user.Owner(), id, cancellation)
                    ? Results.NoContent()
                    : Results.Problem(statusCode: 404, title: "No such share link", detail: $"There is no share link '{id}'."))
            .WithSummary("Revoke a share link; it stops working at once.").ProducesProblem(StatusCodes.Status404NotFound).ProducesStateChangeRefusals();

        app.MapGet(ShareService.PathPrefix + "{token}/images/{id}.png", async (string token, string id, HttpResponse response, ShareService shares, CancellationToken cancellation) =>
            {
                response.Headers.CacheControl = "no-store"; // a revoked link must not live on in caches
                return await shares.ReadPngAsync(token, id, cancellation) is { } png ? Results.File(png, "image/png")
                    : Results.Problem(statusCode: 404, title: "No such shared image", detail: "The link was revoked, or the image deleted.");
            })
            .ExcludeFromDescription();
        return app;
    }

    static async Task<IResult> CreateShare(HttpRequest request, ShareService shares)
    {
        var (input, problem) = await JsonRequests.ReadAsync(request, "share", whenEmpty: new ShareInput());
        if (problem is not null) return problem;
        var link = await shares.CreateAsync(request.HttpContext.User.Owner(), input?.ImageId, request.HttpContext.RequestAborted);
        if (link is null) return NoImage(input!.ImageId!);
        var response = ShareResponse.Of(link, request);
        return Results.Created(response.Url, response);
    }

    static IResult NoImage(string id) => Results.Problem(statusCode: 404, title: "No such image", detail: $"There is no image '{id}'.");
}
