using RefineWeb.Components;
using RefineWeb.Extensions;
using RefineWeb.Gallery;

var builder = WebApplication.CreateBuilder(args);
builder.AddRefineWebServices();

var app = builder.Build();
await app.Services.InitializeGalleryAsync(); // database migrated, orphan files removed, before any request
app.UseRefineWebPipeline();
app.MapRefineWebEndpoints();
// The full Content-Security-Policy (frame-ancestors included) comes from the security headers; Blazor's own would replace it.
app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
