using Microsoft.AspNetCore.SignalR;
using System.Text.Json;
using System.Text.Json.Serialization;
using RefineWeb.Gallery;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Generation;

public static class GenerationRegistration
{
    /// <summary>The engine (model host, queue, worker, metrics), its entry point and the hub.</summary>
    public static IServiceCollection AddGeneration(this IServiceCollection services)
    {
        services.AddOptions<GenerationOptions>().BindConfiguration(GenerationOptions.Section)
            .Validate(o => o.QueueCapacity >= 1 && o.MaxBatchImages >= 1 && o.MaxQueuedPerSession >= 1,
                "Generation:QueueCapacity, Generation:MaxBatchImages and Generation:MaxQueuedPerSession must be at least 1.");
        services.AddSingleton<ModelHost>();
        services.AddSingleton<GenerationQueue>();
        services.AddSingleton<IGenerationQueue>(sp => sp.GetRequiredService<GenerationQueue>());
        services.AddSingleton<IJobSource>(sp => sp.GetRequiredService<GenerationQueue>());
        services.AddSingleton<EventPublisher>();
        services.AddSingleton<GenerationMetrics>();
        services.AddSingleton<GenerationTiming>();
        services.AddSingleton<GenerationService>();
        services.AddHostedService<GenerationWorker>();
        // Statuses travel as "succeeded", not 3, over the API and the hub alike.
        var statusNames = new JsonStringEnumConverter(JsonNamingPolicy.CamelCase);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(statusNames));
        // JSON for any client; MessagePack for those that can (previews travel as binary, not base64: less CPU per step).
        services.AddSignalR(o => o.AddFilter<HubErrorLogging>()).AddJsonProtocol(o =>
        {
            o.PayloadSerializerOptions.Converters.Add(statusNames);
            // As the REST API: a misspelt field is refused, not silently ignored.
            o.PayloadSerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        }).AddMessagePackProtocol(o => o.SerializerOptions = HubMessagePack.Options); // the same field names, and as strict
        return services;
    }

    public static IEndpointRouteBuilder MapGeneration(this IEndpointRouteBuilder app)
    {
        app.MapGenerationApi();
        app.MapHub<GenerationHub>(GenerationHub.Path).WithMetadata(new RequiresSessionAttribute());
        return app;
    }
}
