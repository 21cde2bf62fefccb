using RefineWeb.Components;
using RefineWeb.Extensions;
using RefineWeb.Gallery;

var builder = WebApplication.CreateBuilder(args);
builder.AddRefineWebServices();

var app = builder.Build();
await app.Services.InitializeGalleryAsync(); // database migrated, orphan files removed, before any request
app.UseRefineWebPipeline();
app.MapRefineWebEndpoints();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
