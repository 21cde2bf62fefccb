using System.Text.Json;
using System.Text.Json.Serialization;
using RefineWeb.Security;

namespace RefineWeb.Apis;

/// <summary>Reading a JSON request body the same strict way for every endpoint: the field at fault named, no .NET type names.</summary>
public static class JsonRequests
{
    /// <summary>Request bodies: camelCase, unknown fields refused (a typo must not be silently ignored).</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        // {"imageId": "x", "imageId": null} is refused, not read as its last value (which could widen what a request does).
        AllowDuplicateProperties = false,
        // Numbers are numbers: "NaN" or "5" in quotes is refused rather than read (the web defaults would read them).
        NumberHandling = JsonNumberHandling.Strict,
        // Enum values by name only: a number such as 5 is not a mode.
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
    };

    /// <summary>
    /// A JSON request body: application/json only (415 otherwise: a cross-site form or a body without a type is
    /// refused), unknown fields refused, and a message that names the field at fault without .NET's type names.
    /// </summary>
    public static async Task<(T? Input, IResult? Problem)> ReadAsync<T>(HttpRequest request, string what, T? whenEmpty = null) where T : class
    {
        if (!request.HasJsonContentType())
            return (null, Results.Problem(statusCode: 415, title: "Send the request as JSON",
                detail: $"The {what} request must have Content-Type: application/json."));
        if (request.ContentLength == 0 && whenEmpty is not null) return (whenEmpty, null);
        try
        {
            var input = await JsonSerializer.DeserializeAsync<T>(request.Body, Options, request.HttpContext.RequestAborted);
            return input is null ? (null, Results.Problem(statusCode: 400, title: "The request body is empty", detail: $"Send a {what} request as a JSON object.")) : (input, null);
        }
        catch (JsonException e)
        {
            return (null, Results.Problem(statusCode: 400, title: $"The request body is not a valid {what} request", detail: RequestErrors.Describe(e, typeof(T), what)));
        }
    }
}
