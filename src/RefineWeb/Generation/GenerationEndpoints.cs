using System.Text.Json;
using System.Text.Json.Serialization;

namespace RefineWeb.Generation;

/// <summary>The REST API (/api/v1): generations and their images. Same engine path as the page and the hub.</summary>
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
        var api = app.MapGroup("/api/v1").WithTags("Generation");
        api.MapPost("/generations", Create).WithSummary("Queue a generation; returns its id and status URL.")
            .Accepts<GenerationInput>("application/json").Produces<GenerationStatusResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/generations/{id}", (string id, GenerationService service) =>
                service.Find(id) is { } job ? Results.Ok(GenerationStatusResponse.Of(job)) : NotFound(id))
            .WithSummary("Status, progress and image URLs of a generation.").Produces<GenerationStatusResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/generations/{id}", (string id, GenerationService service) =>
            {
                if (service.Find(id) is not { } job) return NotFound(id);
                job.Cancel();
                return Results.Accepted($"/api/v1/generations/{id}", GenerationStatusResponse.Of(job));
            })
            .WithSummary("Cancel a generation.").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/images/{id}.png", (string id, ImageStore images) =>
                images.Find(id) is { } png ? Results.File(png, "image/png") : Results.Problem(statusCode: 404, title: "No such image", detail: $"There is no image '{id}'."))
            .WithSummary("A finished image as PNG.");
        return app;
    }

    static async Task<IResult> Create(HttpRequest request, GenerationService service)
    {
        GenerationInput? input;
        try
        {
            input = await JsonSerializer.DeserializeAsync<GenerationInput>(request.Body, RequestJson, request.HttpContext.RequestAborted);
        }
        catch (JsonException e)
        {
            return Results.Problem(statusCode: 400, title: "The request body is not a valid generation request", detail: e.Message);
        }
        if (input is null) return Results.Problem(statusCode: 400, title: "The request body is empty");

        var result = service.Submit(input);
        if (result.Errors is { } errors) return Results.ValidationProblem(errors, title: "The generation request has invalid fields");
        if (result.Unavailable is { } reason) return Results.Problem(statusCode: 503, title: "The model is not loaded", detail: reason);
        if (result.QueueFull)
        {
            request.HttpContext.Response.Headers.RetryAfter = "5";
            return Results.Problem(statusCode: 429, title: "The queue is full", detail: "Too many generations are waiting; try again in a few seconds.");
        }
        var job = result.Job!;
        return Results.Accepted($"/api/v1/generations/{job.Id}", GenerationStatusResponse.Of(job));
    }

    static IResult NotFound(string id) => Results.Problem(statusCode: 404, title: "No such generation", detail: $"There is no generation '{id}'.");
}

/// <summary>GET /api/v1/generations/{id}.</summary>
public sealed record GenerationStatusResponse(string Id, GenerationStatus Status, int? QueuePosition, double Progress, string? StageName,
    int? Step, int? TotalSteps, IReadOnlyList<string> Images, string? Error)
{
    public static GenerationStatusResponse Of(GenerationJob job)
    {
        var latest = job.Latest;
        return new(job.Id, latest.Status, latest.QueuePosition, latest.Progress, latest.StageName, latest.Step, latest.TotalSteps,
            [.. (latest.ImageIds ?? []).Select(id => $"/api/v1/images/{id}.png")], latest.Error);
    }
}
