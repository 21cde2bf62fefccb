using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Text;
using RefineWeb.Extensions;
using RefineWeb.Generation;

namespace RefineWeb.Tests.Components;

/// <summary>A bUnit context with MudBlazor's services and loose JS interop (MudBlazor calls its own scripts).</summary>
public abstract class MudComponentTest : IAsyncDisposable
{
    protected readonly BunitContext Bunit = new();

    protected MudComponentTest()
    {
        // Renders that wait on SQLite or the engine's thread can take seconds on a busy 2-core CI machine (bUnit's default is 1 s).
        BunitContext.DefaultWaitTimeout = TimeSpan.FromSeconds(10);
        Bunit.JSInterop.Mode = JSRuntimeMode.Loose;
        Bunit.Services.AddMudServices();
    }

    string? modelDirectory;

    public virtual async ValueTask DisposeAsync()
    {
        await Bunit.DisposeAsync(); // MudBlazor's services only dispose asynchronously
        if (modelDirectory is not null) Directory.Delete(modelDirectory, recursive: true);
    }

    /// <summary>Registers a tiny loaded model ("red heart"; 16, 32, 64 px) for components that read the model, in a folder removed afterwards.</summary>
    protected void UseTinyModel()
    {
        modelDirectory = Directory.CreateTempSubdirectory("refineweb-component-").FullName;
        Bunit.Services.AddSingleton(TinyModel(modelDirectory));
    }

    /// <summary>A freshly initialised tiny cascade (16/32/64 px, "red heart") written to <paramref name="directory"/> and loaded.</summary>
    public static ModelHost TinyModel(string directory)
    {
        Engine.Runtime.TorchRuntime.Initialize();
        CascadeBlueprint.Write(directory, WordTokenizer.BuildVocabulary(["red heart"]), CascadePreset.Tiny);
        var host = new ModelHost(Options.Create(new ModelOptions { Directory = directory }), new HostingEnvironment { ContentRootPath = directory }, NullLogger<ModelHost>.Instance);
        host.Load();
        return host;
    }
}
