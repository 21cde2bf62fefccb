using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Weights;
using RefineWeb.Extensions;
using RefineWeb.Generation;

namespace RefineWeb.Health;

/// <summary>
/// Healthy when the configured model folder has its manifest, vocabulary, and a config and valid safetensors
/// header for every stage, and the engine has loaded it; otherwise unhealthy, with the first missing or broken
/// file (or the engine's load error) and how to fix it. Degraded while the engine is still loading.
/// </summary>
public sealed class ModelFilesHealthCheck(IOptions<ModelOptions> options, IHostEnvironment environment, ModelHost engine) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var directory = Path.GetFullPath(options.Value.Directory, environment.ContentRootPath);
        var data = new Dictionary<string, object> { ["directory"] = directory };
        if (engine.LoadError is { } reason) return Task.FromResult(HealthCheckResult.Unhealthy(reason, data: data));
        try
        {
            var manifest = CascadeManifest.Load(directory);
            var vocabulary = Path.Combine(directory, manifest.Tokenizer);
            if (!File.Exists(vocabulary)) throw new FileNotFoundException($"Tokenizer vocabulary not found: {vocabulary}");
            foreach (var stage in manifest.Stages)
            {
                var config = CascadeManifest.StageConfigPath(directory, stage);
                if (!File.Exists(config)) throw new FileNotFoundException($"Stage config not found: {config}");
                SafetensorsFile.Open(CascadeManifest.StageWeightsPath(directory, stage));
            }
            var description = $"{manifest.Name}: {string.Join(" -> ", manifest.Stages)}";
            return Task.FromResult(engine.Model is null
                ? HealthCheckResult.Degraded(description + " (loading)", data: data)
                : HealthCheckResult.Healthy(description + $" (loaded on {engine.Model.Device.type})", data: data));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or SafetensorsFormatException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(
                $"{e.Message} {ModelHost.Remedy}", data: data));
        }
    }
}
