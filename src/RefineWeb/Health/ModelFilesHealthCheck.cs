using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Weights;
using RefineWeb.Generation;

namespace RefineWeb.Health;

/// <summary>
/// Healthy when the configured model folder has its manifest, vocabulary, and a config and valid safetensors
/// header for every stage, and the engine has loaded it; otherwise unhealthy, with the first missing or broken
/// file (or the engine's load error) and how to fix it. Degraded while the engine is still loading. The files are
/// read again only when one of them changed (size or time), not on every probe: a load balancer polling /healthz
/// must not cost a parse of every weight file's header each time.
/// </summary>
public sealed class ModelFilesHealthCheck(IOptions<ModelOptions> options, IHostEnvironment environment, ModelHost engine) : IHealthCheck
{
    readonly Lock gate = new();
    (string Fingerprint, string? Problem, string Description)? checkedFiles;

    /// <summary>How many times the files were actually read (tests).</summary>
    internal int FileChecks { get; private set; }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var directory = Path.GetFullPath(options.Value.Directory, environment.ContentRootPath);
        var data = new Dictionary<string, object> { ["directory"] = directory };
        if (engine.LoadError is { } reason) return Task.FromResult(HealthCheckResult.Unhealthy(reason, data: data));
        var (problem, description) = CheckFiles(directory);
        if (problem is not null) return Task.FromResult(HealthCheckResult.Unhealthy(problem, data: data));
        return Task.FromResult(engine.Model is null
            ? HealthCheckResult.Degraded(description + " (loading)", data: data)
            : HealthCheckResult.Healthy(description + $" (loaded on {engine.Model.DeviceName})", data: data));
    }

    (string? Problem, string Description) CheckFiles(string directory)
    {
        var fingerprint = Fingerprint(directory);
        lock (gate)
        {
            if (checkedFiles is { } last && last.Fingerprint == fingerprint) return (last.Problem, last.Description);
        }
        FileChecks++;
        (string? Problem, string Description) result;
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
            result = (null, $"{manifest.Name}: {string.Join(" -> ", manifest.Stages)}");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or SafetensorsFormatException)
        {
            result = ($"{e.Message} {ModelHost.Remedy}", "");
        }
        lock (gate) checkedFiles = (fingerprint, result.Problem, result.Description);
        return result;
    }

    /// <summary>Names, sizes and write times of everything in the model folder (a few stat calls).</summary>
    static string Fingerprint(string directory) => !Directory.Exists(directory) ? "missing"
        : string.Join("|", new DirectoryInfo(directory).EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => $"{f.Name}:{f.Length}:{f.LastWriteTimeUtc.Ticks}"));
}
