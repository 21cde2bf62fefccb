using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using RefineWeb.Engine.Imaging;
using RefineWeb.Gallery;
using RefineWeb.Generation;
using RefineWeb.Security;

namespace RefineWeb.Apis;

/// <summary>
/// The REST API (/api/v1): generations and their images. Same engine path as the page and the hub. Everything
/// belongs to the caller's session (cookie): another session's job or image answers 404, as a missing one does.
/// </summary>
public static class GenerationEndpoints
{
    public static IEndpointRouteBuilder MapGenerationApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Generation").WithMetadata(new RequiresSessionAttribute());
        api.MapPost("/generations", (HttpRequest request, GenerationService service) =>
                Create<GenerationInput>(request, input => Task.FromResult(service.Submit(request.HttpContext.User.Owner(), input)), "generation"))
            .RequireCreationLimit().WithSummary("Queue a generation; returns its id and status URL.")
            .Accepts<GenerationInput>("application/json").Produces<GenerationStatusResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem();
        api.MapGet("/generations/{id}", (string id, ClaimsPrincipal user, GenerationService service) =>
                service.Find(user.Owner(), id) is { } job ? Results.Ok(GenerationStatusResponse.Of(job)) : NotFound(id))
            .WithSummary("Status, progress and image URLs of a generation.").Produces<GenerationStatusResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/generations/{id}", (string id, ClaimsPrincipal user, GenerationService service) =>
            {
                if (service.Find(user.Owner(), id) is not { } job) return NotFound(id);
                job.Cancel();
                return Results.Accepted(Paths.Generation(id), GenerationStatusResponse.Of(job));
            })
            .WithSummary("Cancel a generation.").Produces<GenerationStatusResponse>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/images/{id}.png", async (string id, HttpResponse response, ClaimsPrincipal user, ImageStore images, CancellationToken cancellation) =>
                await images.ReadPngAsync(user.Owner(), id, cancellation) is { } png ? PrivateFile(response, png) : NoImage(id))
            .WithSummary("A finished or uploaded image as PNG.");
        api.MapGet("/images/{id}", async (string id, ClaimsPrincipal user, ImageStore images, CancellationToken cancellation) =>
                await images.GetAsync(user.Owner(), id, cancellation) is { } image ? Results.Ok(ImageInfo.Of(image)) : NoImage(id))
            .WithSummary("An image's size, settings and lineage (what it was made from).").Produces<ImageInfo>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/images/{id}/mask.png", async (string id, HttpResponse response, ClaimsPrincipal user, ImageStore images, CancellationToken cancellation) =>
                await images.ReadMaskAsync(user.Owner(), id, cancellation) is { } mask ? PrivateFile(response, mask) : NoImage(id))
            .WithSummary("The mask a refined image was painted with (white = re-refined).");

        api.MapPost("/refinements", (HttpRequest request, GenerationService service) =>
                Create<RefinementInput>(request, input => service.SubmitRefinementAsync(request.HttpContext.User.Owner(), input), "refinement"))
            .RequireCreationLimit()
            .WithSummary("Re-refine the white region of a mask on an image; progress as for generations.")
            .Accepts<RefinementInput>("application/json").Produces<GenerationStatusResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem();
        api.MapPost("/upscales", (HttpRequest request, GenerationService service) =>
                Create<UpscaleInput>(request, input => service.SubmitUpscaleAsync(request.HttpContext.User.Owner(), input), "upscale"))
            .RequireCreationLimit()
            .WithSummary("Take an image up the cascade (mode upscale) or refine it at the working size (mode refine); progress as for generations.")
            .Accepts<UpscaleInput>("application/json").Produces<GenerationStatusResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem();
        api.MapPost("/realignments", (HttpRequest request, GenerationService service) =>
                Create<RealignmentInput>(request, input => service.SubmitRealignmentAsync(request.HttpContext.User.Owner(), input), "re-alignment"))
            .RequireCreationLimit()
            .WithSummary("Re-align a finished image with its own prompt: the phrases (or layout regions) that score low are refined in their regions; progress as for generations, with each phrase's score before and after at the end.")
            .Accepts<RealignmentInput>("application/json").Produces<GenerationStatusResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem();
        // No endpoint body limit below Kestrel's 30 MB: a 413 answered before reading lets Kestrel drain the rest, so
        // the client reads the answer; with a lower limit Kestrel would reset the connection mid-upload instead.
        api.MapPost("/uploads", Upload).DisableAntiforgery().RequireCreationLimit()
            .WithSummary("Upload a PNG, JPEG or WebP (multipart field \"file\", at most 10 MB and 2048 px a side; optional field \"fit\": \"crop\" or \"pad\" makes a non-square picture square); returns its image id.")
            .Accepts<IFormFile>("multipart/form-data").Produces<ImageInfo>(StatusCodes.Status201Created).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return app;
    }

    static async Task<IResult> Upload(HttpRequest request, ImageStore images, ModelHost models)
    {
        if (request.ContentLength > ImageUpload.MaxRequestBytes) return TooLarge();
        if (!request.HasFormContentType)
            return Results.Problem(statusCode: 415, title: "Send the image as multipart/form-data",
                detail: "Send the image as multipart/form-data in a field named \"file\".");
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge();
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException && !request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // Kestrel's and the form reader's limits and a garbled multipart body all end here: the client's fault.
            // Only a size limit makes the upload "too large"; too many fields or overlong names are another fault.
            if (e.Message.Contains("count limit", StringComparison.OrdinalIgnoreCase))
                return UploadProblem($"The form has too many fields; send the image in a field named \"file\" (and optionally \"fit\"), nothing else.");
            return e.Message.Contains("body length limit", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("value length limit", StringComparison.OrdinalIgnoreCase)
                ? TooLarge()
                : UploadProblem("The multipart body could not be read; send the image in a field named \"file\".");
        }
        if (form.Files.GetFile("file") is not { } file) return UploadProblem("Send the image as multipart/form-data in a field named \"file\".");
        if (UploadFitting.Parse(form["fit"]) is not { } fit)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["fit"] = ["Fit must be \"crop\" (the middle square), \"pad\" (white around it) or \"keep\"."] },
                title: "The upload was refused");
        if (file.Length > ImageUpload.MaxBytes) return TooLarge();
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        var bytes = buffer.ToArray();
        var (image, error) = ImageUpload.Read(bytes);
        if (image is null) return UploadProblem(error!);
        image = UploadFitting.Apply(image, fit);
        var (stored, _, _) = await images.AddUploadAsync(request.HttpContext.User.Owner(), image, bytes, models.StageCount, request.HttpContext.RequestAborted);
        return Results.Created(Paths.Image(stored.Id), ImageInfo.Of(stored));
    }

    static IResult TooLarge() => Results.Problem(statusCode: 413, title: "The file is too large",
        detail: $"Uploads may be at most {ImageUpload.MaxBytes / (1024 * 1024)} MB; scale the picture down (at most {ImageUpload.MaxSide} px a side) and try again.");

    static IResult UploadProblem(string message) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { ["file"] = [message] }, title: "The upload was refused");

    static async Task<IResult> Create<T>(HttpRequest request, Func<T, Task<SubmitResult>> submit, string what) where T : class
    {
        var (input, problem) = await JsonRequests.ReadAsync<T>(request, what);
        if (problem is not null) return problem;
        var result = await submit(input!);
        return Submitted(request.HttpContext, result, what);
    }

    /// <summary>The answer to a submission, the same for every kind of job.</summary>
    static IResult Submitted(HttpContext context, SubmitResult result, string what)
    {
        if (result.Errors is { } errors) return Results.ValidationProblem(errors, title: $"The {what} request has invalid fields");
        if (result.Unavailable is { } reason) return Results.Problem(statusCode: 503, title: "The model is not loaded", detail: reason);
        if (result.QueueUnreachable)
        {
            context.Response.Headers.RetryAfter = "5";
            return Results.Problem(statusCode: 503, title: "The job queue is unreachable right now", detail: SubmitResult.UnreachableMessage);
        }
        if (result.CapacityMessage is { } capacity)
        {
            context.Response.Headers.RetryAfter = "5";
            return Results.Problem(statusCode: 429, title: result.SessionQueueFull is null ? "The queue is full" : "Too many waiting generations", detail: capacity);
        }
        var job = result.Job!;
        var status = GenerationStatusResponse.Of(job);
        // Said in the body too, where a script reads: its images belong to a session it will not have next time.
        if (SessionIdentity.IsNewSession(context)) status = status with { Warnings = [.. status.Warnings, "No session cookie or access token: this is a new, empty session; keep its cookie or send an access token (see the gallery page) to see this generation and its images again."] };
        return Results.Accepted(Paths.Generation(job.Id), status);
    }

    /// <summary>An image of the session's own: the browser may keep it (its bytes never change), shared caches may not.</summary>
    static IResult PrivateFile(HttpResponse response, byte[] png)
    {
        response.Headers.CacheControl = "private, max-age=3600";
        return Results.File(png, "image/png");
    }

    static IResult NoImage(string id) => Results.Problem(statusCode: 404, title: "No such image", detail: $"There is no image '{id}'.");

    static IResult NotFound(string id) => Results.Problem(statusCode: 404, title: "No such generation", detail: $"There is no generation '{id}'.");
}
