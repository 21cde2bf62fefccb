using RefineWeb.Operations;
using RefineWeb.Gallery;
using RefineWeb.Generation;

namespace RefineWeb.Extensions;

/// <summary>
/// <c>RefineWeb worker</c>: a cluster's worker process. The same build and appsettings.json as the web host, but a
/// generic host with the model, the engine and the shared gallery only: no Kestrel, no pages.
/// </summary>
public static class WorkerHost
{
    public const string Command = "worker";

    public static async Task RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.Services.AddOptions<ModelOptions>().BindConfiguration(ModelOptions.Section);
        builder.Services.AddGallery(builder.Configuration, builder.Environment.ContentRootPath);
        builder.Services.AddGenerationWorker(builder.Configuration);
        builder.AddTelemetry(web: false);
        // The web nodes create and migrate the database; a worker only uses it.
        await builder.Build().RunAsync();
    }
}
