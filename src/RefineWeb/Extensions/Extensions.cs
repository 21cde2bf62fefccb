using RefineWeb.Operations;
using RefineWeb.Apis;
using MudBlazor.Services;
using RefineWeb.Gallery;
using RefineWeb.Generation;
using RefineWeb.Health;
using RefineWeb.Security;

namespace RefineWeb.Extensions;

/// <summary>Service registration and endpoint mapping, so Program.cs stays a few lines (as in dotnet/eShop).</summary>
public static class Extensions
{
    public static void AddRefineWebServices(this WebApplicationBuilder builder)
    {
        // Serve package assets (MudBlazor's _content/) from the build output in every environment, so `dotnet run`
        // works without a launch profile; a published app has them in its wwwroot and this does nothing there.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddOptions<ModelOptions>().BindConfiguration(ModelOptions.Section);
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddSecurity();
        builder.Services.AddOpenApi(); // /openapi/v1.json
        builder.Services.AddSingleton<ModelFilesHealthCheck>(); // one instance, so its cached file check lasts between probes
        builder.Services.AddHealthChecks().AddCheck<ModelFilesHealthCheck>("model");
        builder.AddGallery();
        builder.Services.AddGeneration(builder.Configuration);
        builder.AddTelemetry();
    }

    public static void UseRefineWebPipeline(this WebApplication app)
    {
        app.UseSecurity();
        // Routing after the error pages (not first, where the host would put it): a dead link re-executed as
        // /not-found must be routed again to reach that page.
        app.UseRouting();
        if (!app.Environment.IsDevelopment()) app.UseHsts();
        app.UseStaticFiles(); // the top-level wwwroot/
        app.UseSessions();
        app.UseAntiforgery();
        app.MapStaticAssets(); // MudBlazor's _content/
    }

    public static void MapRefineWebEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new() { ResponseWriter = HealthResponse.WriteJson });
        app.MapOpenApi();
        app.MapGeneration();
        app.MapGenerationApi();
        app.MapGallery();
        app.MapTelemetry();
    }
}
