using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace RefineWeb.Generation;

/// <summary>
/// The hub's MessagePack as its JSON and the REST API speak: camelCase field names ("prompt", "jobId"), enum values
/// as camelCase names ("succeeded"), field names read case-insensitively, and an unknown field refused rather than
/// ignored (SignalR's default contractless resolver writes PascalCase and drops what it does not know). Only this
/// app's own types get these formatters; everything else is MessagePack-CSharp's contractless resolver. Written
/// here because no served package maps System.Text.Json-style naming onto MessagePack.
/// </summary>
public sealed class HubMessagePack : IFormatterResolver
{
    public static readonly HubMessagePack Resolver = new();

    /// <summary>For the server's and a .NET client's AddMessagePackProtocol.</summary>
    public static MessagePackSerializerOptions Options { get; } =
        MessagePackSerializerOptions.Standard.WithResolver(Resolver).WithSecurity(MessagePackSecurity.UntrustedData);

    readonly ConcurrentDictionary<Type, object?> formatters = new();

    public IMessagePackFormatter<T>? GetFormatter<T>() => (IMessagePackFormatter<T>?)formatters.GetOrAdd(typeof(T), _ => Create<T>());

    static object? Create<T>()
    {
        var type = typeof(T);
        if (type.Namespace?.StartsWith("RefineWeb", StringComparison.Ordinal) == true)
        {
            if (type.IsEnum) return Activator.CreateInstance(typeof(EnumNameFormatter<>).MakeGenericType(type));
            // An array of this app's records (a layout's regions) is the standard array formatter's, whose items come back here:
            // its own "namespace" is its element's, and as an object it would be written as its properties (Length, SyncRoot, ...).
            if (type.IsClass && !type.IsArray) return new ObjectFormatter<T>();
        }
        return ContractlessStandardResolver.Instance.GetFormatter<T>();
    }

    internal static string FieldName(string name) => JsonNamingPolicy.CamelCase.ConvertName(name);

    /// <summary>A record as a map of its public properties, as System.Text.Json writes it.</summary>
    sealed class ObjectFormatter<T> : IMessagePackFormatter<T>
    {
        static readonly PropertyInfo[] Readable = [.. typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<JsonIgnoreAttribute>() is null)];
        static readonly Dictionary<string, PropertyInfo> ByName = Readable.ToDictionary(p => FieldName(p.Name), StringComparer.OrdinalIgnoreCase);
        static readonly string What = FieldName(typeof(T).Name);

        public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options)
        {
            if (value is null)
            {
                writer.WriteNil();
                return;
            }
            writer.WriteMapHeader(Readable.Length);
            foreach (var property in Readable)
            {
                writer.Write(FieldName(property.Name));
                MessagePackSerializer.Serialize(property.PropertyType, ref writer, property.GetValue(value), options);
            }
        }

        public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            if (reader.TryReadNil()) return default!;
            options.Security.DepthStep(ref reader);
            var values = new Dictionary<PropertyInfo, object?>();
            int count = reader.ReadMapHeader();
            for (int i = 0; i < count; i++)
            {
                var key = reader.ReadString() ?? "";
                if (!ByName.TryGetValue(key, out var property))
                    throw new MessagePackSerializationException($"'{key}' is not a field of a {What}.");
                if (property.SetMethod is not { IsPublic: true })
                {
                    reader.Skip(); // computed (isFinal): written for readers, not read back
                    continue;
                }
                values[property] = MessagePackSerializer.Deserialize(property.PropertyType, ref reader, options);
            }
            reader.Depth--;
            return Construct(values);
        }

        /// <summary>By the parameterless constructor, or a positional record's, then the init setters.</summary>
        static T Construct(Dictionary<PropertyInfo, object?> values)
        {
            var constructor = typeof(T).GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
            var parameters = constructor.GetParameters();
            var arguments = parameters.Select(parameter =>
            {
                var match = values.Keys.FirstOrDefault(p => string.Equals(p.Name, parameter.Name, StringComparison.OrdinalIgnoreCase));
                if (match is null) return parameter.ParameterType.IsValueType ? Activator.CreateInstance(parameter.ParameterType) : null;
                var value = values[match];
                values.Remove(match);
                return value;
            }).ToArray();
            var instance = (T)constructor.Invoke(arguments);
            foreach (var (property, value) in values) property.SetValue(instance, value);
            return instance;
        }
    }

    /// <summary>An enum as its JSON name (its [JsonStringEnumMemberName], else camelCase); a number or an unknown name is refused.</summary>
    sealed class EnumNameFormatter<TEnum> : IMessagePackFormatter<TEnum> where TEnum : struct, Enum
    {
        static readonly Dictionary<TEnum, string> Names = Enum.GetValues<TEnum>().ToDictionary(v => v,
            v => typeof(TEnum).GetField(v.ToString())?.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? FieldName(v.ToString()));

        public void Serialize(ref MessagePackWriter writer, TEnum value, MessagePackSerializerOptions options) =>
            writer.Write(Names.TryGetValue(value, out var name) ? name : FieldName(value.ToString()));

        public TEnum Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            if (reader.NextMessagePackType == MessagePackType.String && reader.ReadString() is { } name
                && Names.FirstOrDefault(n => string.Equals(n.Value, name, StringComparison.OrdinalIgnoreCase)) is { Value: not null } match)
                return match.Key;
            throw new MessagePackSerializationException($"Expected one of {string.Join(", ", Names.Values)}.");
        }
    }
}
