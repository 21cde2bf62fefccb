using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

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
            return (null, Results.Problem(statusCode: 400, title: $"The request body is not a valid {what} request", detail: Describe(e, typeof(T), what)));
        }
    }

    /// <summary>"The field 'steps' has a value of the wrong type or out of range.": what is wrong with a request, for the API and the hub alike.</summary>
    public static string Describe(JsonException e, Type? request, string what)
    {
        var field = e.Path is { Length: > 2 } path ? $"The field '{path[2..]}'" : "The body";
        string reason;
        if (e.Message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            var unknown = e.Message.Split('\'') is { Length: > 2 } parts ? parts[1] : "?";
            (field, reason) = ($"'{unknown}'", $"is not a field of a {what} request");
        }
        else if (e.Message.StartsWith("Duplicate propert", StringComparison.Ordinal))
            reason = "is given more than once; give each field once";
        else if (e.Message.Contains("could not be converted", StringComparison.Ordinal))
            reason = request is not null && EnumNames(request, e.Path) is { } names ? $"must be one of {names}" : "has a value of the wrong type or out of range";
        else reason = "is not valid JSON";
        return $"{field} {reason}.";
    }

    /// <summary>"\"ddim\", \"dpm-solver++-2m\"" when the field at <paramref name="path"/> ("$.sampler") is an enum; null otherwise.</summary>
    static string? EnumNames(Type request, string? path)
    {
        if (path is not { Length: > 2 } || path[2..].Contains('.') || path.Contains('[')) return null;
        var property = request.GetProperty(path[2..], System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase);
        var type = property is null ? null : Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (type is not { IsEnum: true }) return null;
        var names = Enum.GetNames(type).Select(name => type.GetField(name)!.GetCustomAttributes(typeof(JsonStringEnumMemberNameAttribute), false)
            .Cast<JsonStringEnumMemberNameAttribute>().FirstOrDefault()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(name));
        return string.Join(", ", names.Select(n => $"\"{n}\""));
    }

}
