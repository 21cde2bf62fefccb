using System.Diagnostics;
using System.Reflection;

namespace RefineWeb.Extensions;

/// <summary>Whether this app was built optimized: a Debug build serves, only slower, so its operator is told at start.</summary>
public static class BuildConfiguration
{
    /// <summary>False for a Debug build (the JIT optimizer is off for the app's own code).</summary>
    public static bool IsOptimized { get; } =
        typeof(BuildConfiguration).Assembly.GetCustomAttribute<DebuggableAttribute>() is not { IsJITOptimizerDisabled: true };

    public static void WarnIfUnoptimized(this WebApplication app)
    {
        if (!IsOptimized)
            app.Logger.LogWarning("This is a Debug build: the app's own code runs unoptimized. Serve a Release build: dotnet run -c Release --project src/RefineWeb");
    }
}
