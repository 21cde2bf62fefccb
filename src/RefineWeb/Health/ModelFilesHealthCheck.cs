using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Weights;
using RefineWeb.Extensions;

namespace RefineWeb.Health;

/// <summary>
/// Healthy when the configured model folder has its manifest, vocabulary, and a config and valid safetensors
/// header for every stage; otherwise unhealthy, with the first missing or broken file and how to fix it.
/// </summary>
public sealed class ModelFilesHealthCheck(IOptions<ModelOptions> options, IHostEnvironment environment) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var directory = Path.GetFullPath(options.Value.Directory, environment.ContentRootPath);
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
            return Task.FromResult(HealthCheckResult.Healthy($"{manifest.Name}: {string.Join(" -> ", manifest.Stages)}",
                new Dictionary<string, object> { ["directory"] = directory }));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or SafetensorsFormatException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(
                $"{e.Message} Train the model (refineweb train) or set Model:Directory in appsettings.json.",
                data: new Dictionary<string, object> { ["directory"] = directory }));
        }
    }
}
