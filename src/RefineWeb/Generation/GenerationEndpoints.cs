using System.Security.Claims;
using RefineWeb.Engine.Imaging;
using RefineWeb.Gallery;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RefineWeb.Generation;

/// <summary>
/// The REST API (/api/v1): generations and their images. Same engine path as the page and the hub. Everything
/// belongs to the caller's session (cookie): another session's job or image answers 404, as a missing one does.
/// </summary>
public static class GenerationEndpoints
{
    /// <summary>Request bodies: camelCase, unknown fields refused (a typo must not be silently ignored).</summary>
    internal static readonly JsonSerializerOptions RequestJson = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static IEndpointRouteBuilder MapGenerationApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Generation").WithMetadata(new RequiresSessionAttribute());
        api.MapPost("/generations", (HttpRequest request, GenerationService service) =>
                Create<GenerationInput>(request, input => Task.FromResult(service.Submit(request.HttpContext.User.Owner(), input)), "generation"))
            .RequireRateLimiting(CreationRateLimit.Policy).WithSummary("Queue a generation; returns its id and status URL.")
            .Accepts<GenerationInput>("application/json").Produces<GenerationStatusResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/generations/{id}", (string id, ClaimsPrincipal user, GenerationService service) =>
                service.Find(user.Owner(), id) is { } job ? Results.Ok(GenerationStatusResponse.Of(job)) : NotFound(id))
            .WithSummary("Status, progress and image URLs of a generation.").Produces<GenerationStatusResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/generations/{id}", (string id, ClaimsPrincipal user, GenerationService service) =>
            {
                if (service.Find(user.Owner(), id) is not { } job) return NotFound(id);
                job.Cancel();
                return Results.Accepted($"/api/v1/generations/{id}", GenerationStatusResponse.Of(job));
            })
            .WithSummary("Cancel a generation.").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/images/{id}.png", async (string id, ClaimsPrincipal user, ImageStore images, CancellationToken cancellation) =>
                await images.ReadPngAsync(user.Owner(), id, cancellation) is { } png ? Results.File(png, "image/png") : NoImage(id))
            .WithSummary("A finished or uploaded image as PNG.");
        api.MapGet("/images/{id}", async (string id, ClaimsPrincipal user, ImageStore images, CancellationToken cancellation) =>
                await images.GetAsync(user.Owner(), id, cancellation) is { } image ? Results.Ok(ImageInfo.Of(image)) : NoImage(id))
            .WithSummary("An image's size, settings and lineage (what it was made from).").Produces<ImageInfo>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/images/{id}/mask.png", async (string id, ClaimsPrincipal user, ImageStore images, CancellationToken cancellation) =>
                await images.ReadMaskAsync(user.Owner(), id, cancellation) is { } mask ? Results.File(mask, "image/png") : NoImage(id))
            .WithSummary("The mask a refined image was painted with (white = re-refined).");

        api.MapPost("/refinements", (HttpRequest request, GenerationService service) =>
                Create<RefinementInput>(request, input => service.SubmitRefinementAsync(request.HttpContext.User.Owner(), input), "refinement"))
            .RequireRateLimiting(CreationRateLimit.Policy)
            .WithSummary("Re-refine the white region of a mask on an image; progress as for generations.")
            .Accepts<RefinementInput>("application/json").Produces<GenerationStatusResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapPost("/upscales", (HttpRequest request, GenerationService service) =>
                Create<UpscaleInput>(request, input => service.SubmitUpscaleAsync(request.HttpContext.User.Owner(), input), "upscale"))
            .RequireRateLimiting(CreationRateLimit.Policy)
            .WithSummary("Take an image up the cascade (mode upscale) or refine it at the working size (mode refine); progress as for generations.")
            .Accepts<UpscaleInput>("application/json").Produces<GenerationStatusResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapPost("/uploads", Upload).DisableAntiforgery().RequireRateLimiting(CreationRateLimit.Policy)
            .WithSummary("Upload a PNG, JPEG or WebP (multipart field \"file\", at most 10 MB and 2048 px a side); returns its image id.")
            .Accepts<IFormFile>("multipart/form-data").Produces<ImageInfo>(StatusCodes.Status201Created).ProducesValidationProblem();
        return app;
    }

    static async Task<IResult> Upload(HttpRequest request, ImageStore images)
    {
        if (!request.HasFormContentType) return UploadProblem("Send the image as multipart/form-data in a field named \"file\".");
        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        if (form.Files.GetFile("file") is not { } file) return UploadProblem("Send the image as multipart/form-data in a field named \"file\".");
        if (file.Length > ImageUpload.MaxBytes) return UploadProblem($"The file is {file.Length / (1024.0 * 1024):0.0} MB; at most {ImageUpload.MaxBytes / (1024 * 1024)} MB.");
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        var (image, error) = ImageUpload.Read(buffer.ToArray());
        if (image is null) return UploadProblem(error!);
        var (stored, _, _) = await StoreUploadAsync(images, request.HttpContext.User.Owner(), image, buffer.ToArray());
        return Results.Created($"/api/v1/images/{stored.Id}", ImageInfo.Of(stored));
    }

    /// <summary>
    /// Keeps an accepted upload (re-encoded as PNG) with the settings its file carried, if any; a damaged settings
    /// chunk is dropped, not fatal.
    /// </summary>
    internal static async Task<(StoredImage Image, ImageParameters? Parameters, string? Problem)> StoreUploadAsync(ImageStore images, Guid owner, RgbImage image, byte[] file)
    {
        var (parameters, problem) = ImageParameters.Read(file);
        var png = image.ToPng();
        if (parameters is not null) png = parameters.AddTo(png);
        var stored = await images.AddAsync(owner, png, image.Width, image.Height, new ImageLineage(ImageOrigin.Uploaded, Prompt: parameters?.Prompt), parameters);
        return (stored, parameters, problem);
    }

    static IResult UploadProblem(string message) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { ["file"] = [message] }, title: "The upload was refused");

    static async Task<IResult> Create<T>(HttpRequest request, Func<T, Task<SubmitResult>> submit, string what) where T : class
    {
        T? input;
        try
        {
            input = await JsonSerializer.DeserializeAsync<T>(request.Body, RequestJson, request.HttpContext.RequestAborted);
        }
        catch (JsonException e)
        {
            return Results.Problem(statusCode: 400, title: $"The request body is not a valid {what} request", detail: e.Message);
        }
        if (input is null) return Results.Problem(statusCode: 400, title: "The request body is empty");

        var result = await submit(input);
        if (result.Errors is { } errors) return Results.ValidationProblem(errors, title: $"The {what} request has invalid fields");
        if (result.Unavailable is { } reason) return Results.Problem(statusCode: 503, title: "The model is not loaded", detail: reason);
        if (result.QueueFull)
        {
            request.HttpContext.Response.Headers.RetryAfter = "5";
            return Results.Problem(statusCode: 429, title: "The queue is full", detail: "Too many generations are waiting; try again in a few seconds.");
        }
        var job = result.Job!;
        return Results.Accepted($"/api/v1/generations/{job.Id}", GenerationStatusResponse.Of(job));
    }

    static IResult NoImage(string id) => Results.Problem(statusCode: 404, title: "No such image", detail: $"There is no image '{id}'.");

    static IResult NotFound(string id) => Results.Problem(statusCode: 404, title: "No such generation", detail: $"There is no generation '{id}'.");
}

/// <summary>GET /api/v1/generations/{id}; once done, <see cref="Scores"/> (one per image) say how well each matches and rank them.</summary>
public sealed record GenerationStatusResponse(string Id, GenerationStatus Status, int? QueuePosition, double Progress, string? StageName,
    int? Step, int? TotalSteps, IReadOnlyList<string> Images, IReadOnlyList<ImageScore>? Scores, string? Error)
{
    public static GenerationStatusResponse Of(GenerationJob job)
    {
        var latest = job.Latest;
        return new(job.Id, latest.Status, latest.QueuePosition, latest.Progress, latest.StageName, latest.Step, latest.TotalSteps,
            [.. (latest.ImageIds ?? []).Select(id => $"/api/v1/images/{id}.png")], latest.Scores, latest.Error);
    }
}

/// <summary>GET /api/v1/images/{id} and the gallery: size, settings and lineage.</summary>
public sealed record ImageInfo(string Id, string Url, int Width, int Height, ImageOrigin Origin, string? ParentId, string? MaskUrl, string? Prompt,
    ImageParameters? Parameters, DateTimeOffset CreatedAt)
{
    public static ImageInfo Of(StoredImage image) => new(image.Id, image.Url, image.Width, image.Height, image.Origin,
        image.ParentId, image.MaskUrl, image.Prompt, image.Parameters, image.CreatedAt);
}
