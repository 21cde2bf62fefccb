using Microsoft.Extensions.Options;
using RefineWeb.Engine.Pipelines;

namespace RefineWeb.Generation;

/// <summary>
/// Loads the configured model on the engine's thread and remembers the outcome: the model, or why it could not be
/// loaded (the page and /healthz say so; the app keeps running).
/// </summary>
public sealed class ModelHost(IOptions<ModelOptions> options, IHostEnvironment environment, ILogger<ModelHost> logger)
{
    public const string Remedy = "Train the model (refineweb train) or set Model:Directory in appsettings.json.";

    readonly TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CascadeModel? Model { get; private set; }
    public string? LoadError { get; private set; }
    public string Directory => Path.GetFullPath(options.Value.Directory, environment.ContentRootPath);
    /// <summary>Completes once loading has been tried (either way).</summary>
    public Task Loaded => loaded.Task;
    public int StageCount => Model?.Stages.Count ?? 3;
    /// <summary>The stages' resolutions, coarsest first (empty until loaded).</summary>
    public IReadOnlyList<int> Resolutions => Model?.Stages.Select(s => s.Config.Resolution).ToList() ?? [];

    /// <summary>Called by the engine, on its own thread, once.</summary>
    internal CascadeModel? Load()
    {
        try
        {
            Model = CascadeModel.Load(Directory, options.Value.Device);
            logger.LogInformation("Loaded {Model} from {Directory} on {Device}", Model.Manifest.Name, Directory, Model.DeviceName);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or Engine.Weights.SafetensorsFormatException or InvalidOperationException)
        {
            LoadError = $"{e.Message} {Remedy}";
            logger.LogError("Model not loaded: {Reason}", e.Message);
        }
        loaded.TrySetResult();
        return Model;
    }
}
