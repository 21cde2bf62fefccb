using RefineWeb.Components;
using RefineWeb.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddRefineWebServices();

var app = builder.Build();
app.UseRefineWebPipeline();
app.MapRefineWebEndpoints();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
