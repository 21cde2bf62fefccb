using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using System.Text.Json;
using System.Text.Json.Serialization;
using RefineWeb.Gallery;
using RefineWeb.Generation.Queueing;
using RefineWeb.Generation.Queueing.Redis;
using StackExchange.Redis;

namespace RefineWeb.Generation;

public static class GenerationRegistration
{
    /// <summary>
    /// The web host's side: the queue, the hub and, in one process (Engine:Mode Embedded, the default), the engine
    /// itself. In a cluster (Distributed) the queue is Redis and the engine runs in worker processes
    /// (<see cref="AddGenerationWorker"/>).
    /// </summary>
    public static IServiceCollection AddGeneration(this IServiceCollection services, IConfiguration configuration)
    {
        AddShared(services);
        var signalR = services.AddSignalR(o =>
        {
            o.AddFilter<HubErrorLogging>();
            o.AddFilter<AccessTokenHubFilter>();
        });
        if (Distributed(configuration) is { } redis)
        {
            AddRedis(services, redis);
            services.AddSingleton<IGenerationQueue, RedisGenerationQueue>();
            services.AddHostedService<ModelLoader>();
            // Hub groups and user messages reach clients on every node (the hub's streams need no backplane: a stream lives on its connection).
            signalR.AddStackExchangeRedis(redis, o => o.Configuration.ChannelPrefix = RedisChannel.Literal(EngineKeyPrefix(configuration) + "signalr:"));
            services.AddSingleton<HubLifetimeManager<GenerationHub>>(sp => new QueueOutageHubLifetimeManager<GenerationHub>(
                ActivatorUtilities.CreateInstance<RedisHubLifetimeManager<GenerationHub>>(sp), sp.GetRequiredService<ILogger<QueueOutageHubLifetimeManager<GenerationHub>>>()));
        }
        else
        {
            services.AddSingleton<GenerationQueue>();
            services.AddSingleton<IGenerationQueue>(sp => sp.GetRequiredService<GenerationQueue>());
            services.AddSingleton<IJobSource>(sp => sp.GetRequiredService<GenerationQueue>());
            AddEngine(services);
        }
        // Statuses travel as "succeeded", not 3, over the API and the hub alike.
        var statusNames = new JsonStringEnumConverter(JsonNamingPolicy.CamelCase);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(statusNames));
        // JSON for any client; MessagePack for those that can (previews travel as binary, not base64: less CPU per step).
        signalR.AddJsonProtocol(o =>
        {
            o.PayloadSerializerOptions.Converters.Add(statusNames);
            // As the REST API: a misspelt field is refused, not silently ignored.
            o.PayloadSerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            o.PayloadSerializerOptions.AllowDuplicateProperties = false;
        }).AddMessagePackProtocol(o => o.SerializerOptions = HubMessagePack.Options); // the same field names, and as strict
        // Both protocols name the field at fault when a call's arguments cannot be read, as the API does.
        foreach (var plain in services.Where(d => d.ServiceType == typeof(IHubProtocol) && (d.ImplementationType == typeof(JsonHubProtocol) || d.ImplementationType == typeof(MessagePackHubProtocol))).ToList())
            services.Remove(plain);
        services.AddSingleton<IHubProtocol>(sp => new DescribedBindingFailures(ActivatorUtilities.CreateInstance<JsonHubProtocol>(sp)));
        services.AddSingleton<IHubProtocol>(sp => new DescribedBindingFailures(ActivatorUtilities.CreateInstance<MessagePackHubProtocol>(sp)));
        return services;
    }

    /// <summary>A worker process (<c>RefineWeb worker</c>): the model and the engine, jobs from Redis, results to the shared gallery; nothing web.</summary>
    public static IServiceCollection AddGenerationWorker(this IServiceCollection services, IConfiguration configuration)
    {
        var redis = Distributed(configuration)
            ?? throw new InvalidOperationException("A worker needs Engine:Mode Distributed and ConnectionStrings:Redis (and the cluster's PostgreSQL gallery).");
        AddShared(services);
        AddRedis(services, redis);
        services.AddSingleton<RedisJobSource>();
        services.AddSingleton<IJobSource>(sp => sp.GetRequiredService<RedisJobSource>());
        AddEngine(services);
        return services;
    }

    static void AddShared(IServiceCollection services)
    {
        services.AddOptions<GenerationOptions>().BindConfiguration(GenerationOptions.Section)
            .Validate(o => o.QueueCapacity >= 1 && o.MaxBatchImages >= 1 && o.MaxQueuedPerSession >= 1,
                "Generation:QueueCapacity, Generation:MaxBatchImages and Generation:MaxQueuedPerSession must be at least 1.");
        services.AddOptions<EngineOptions>().BindConfiguration(EngineOptions.Section)
            .Validate(o => o.HeartbeatSeconds > 0 && o.ReclaimAfterSeconds > o.HeartbeatSeconds && o.MaxAttempts >= 1,
                "Engine:ReclaimAfterSeconds must exceed Engine:HeartbeatSeconds (> 0), and Engine:MaxAttempts must be at least 1.");
        services.AddSingleton<ModelHost>();
        services.AddSingleton<GenerationTiming>();
        services.AddSingleton<GenerationService>();
    }

    /// <summary>The engine: the one thread that runs the model, and the publisher that encodes and stores what it makes.</summary>
    static void AddEngine(IServiceCollection services)
    {
        services.AddSingleton<EventPublisher>();
        services.AddSingleton<GenerationMetrics>();
        services.AddHostedService<GenerationWorker>();
    }

    static void AddRedis(IServiceCollection services, string connection)
    {
        services.AddSingleton<IConnectionMultiplexer>(_ =>
        {
            var options = ConfigurationOptions.Parse(connection);
            options.AbortOnConnectFail = false; // Redis restarting: keep trying instead of failing the process
            return ConnectionMultiplexer.Connect(options);
        });
        services.AddSingleton<RedisJobStore>();
        services.AddHostedService<RedisNodeBroadcasts>();
    }

    /// <summary>The Redis connection string when Engine:Mode is Distributed; null in one process.</summary>
    static string? Distributed(IConfiguration configuration)
    {
        var mode = configuration.GetSection(EngineOptions.Section).GetValue(nameof(EngineOptions.Mode), EngineMode.Embedded);
        if (mode != EngineMode.Distributed) return null;
        var redis = configuration.GetConnectionString("Redis");
        return string.IsNullOrWhiteSpace(redis)
            ? throw new InvalidOperationException("Engine:Mode is Distributed but ConnectionStrings:Redis is empty: set it (for example localhost:6379).")
            : redis;
    }

    static string EngineKeyPrefix(IConfiguration configuration) =>
        configuration.GetSection(EngineOptions.Section).GetValue(nameof(EngineOptions.KeyPrefix), new EngineOptions().KeyPrefix)!;

    /// <summary>The hub (the REST API is mapped by <c>Apis</c>).</summary>
    public static IEndpointRouteBuilder MapGeneration(this IEndpointRouteBuilder app)
    {
        app.MapHub<GenerationHub>(Paths.Hub).WithMetadata(new RequiresSessionAttribute());
        return app;
    }
}
