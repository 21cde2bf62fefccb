using RefineWeb.Components;
using RefineWeb.Extensions;
using RefineWeb.Gallery;

if (args is [WorkerHost.Command, .. var workerArgs])
{
    await WorkerHost.RunAsync(workerArgs); // a cluster's worker: the engine without the web
    return;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddRefineWebServices();

var app = builder.Build();
app.WarnIfUnoptimized();
await app.Services.InitializeGalleryAsync(); // database migrated, orphan files removed, before any request
app.UseRefineWebPipeline();
app.MapRefineWebEndpoints();
// The full Content-Security-Policy (frame-ancestors included) comes from the security headers; Blazor's own would replace it.
app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);
await app.RunAsync();

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
