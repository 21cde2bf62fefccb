using System.Text.Json;
using System.Text.Json.Serialization;

namespace RefineWeb.Security;

/// <summary>What is wrong with a request body that could not be read, in words that name the field: for the API and the hub alike.</summary>
public static class RequestErrors
{
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
