using System.Reflection;
using NetArchTest.Rules;
using RefineWeb.Engine.Serving;
using Xunit.Abstractions;

namespace RefineWeb.Architecture.Tests;

/// <summary>
/// What may use what, read from the compiled assemblies: the engine stays a library (no web, no database, no data-set
/// builder), the web app drives it through requests and pictures (no tensors, no image codec of its own), and the web
/// app's rooms (its top-level namespaces) depend on each other without a cycle.
/// </summary>
public sealed class ArchitectureTests(ITestOutputHelper output)
{
    static readonly Assembly Engine = typeof(ImageEngine).Assembly;
    static readonly Assembly Web = typeof(global::RefineWeb.Generation.GenerationWorker).Assembly;

    static string Failing(TestResult result) => string.Join(", ", result.FailingTypeNames ?? []);

    [Fact]
    public void The_engine_references_neither_asp_net_ef_nor_the_data_set_builder_nor_the_web_app()
    {
        string[] forbidden = ["Microsoft.AspNetCore", "Microsoft.EntityFrameworkCore", "RefineWeb.Datasets", "RefineWeb.Generation", "RefineWeb.Gallery", "RefineWeb.Components"];
        var result = Types.InAssembly(Engine).ShouldNot().HaveDependencyOnAny(forbidden).GetResult();
        Assert.True(result.IsSuccessful, $"Engine types that use them: {Failing(result)}");
        var references = Engine.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.DoesNotContain(references, name => forbidden.Any(f => name.StartsWith(f, StringComparison.Ordinal)) || name == "RefineWeb");
    }

    [Fact]
    public void The_data_project_knows_only_its_tables_not_the_web_app_nor_the_engine()
    {
        var data = typeof(RefineWeb.Data.GalleryDbContext).Assembly;
        var result = Types.InAssembly(data).ShouldNot().HaveDependencyOnAny("RefineWeb.Engine", "RefineWeb.Gallery", "RefineWeb.Generation", "RefineWeb.Contracts", "TorchSharp").GetResult();
        Assert.True(result.IsSuccessful, $"Data types that use them: {Failing(result)}");
        Assert.All(data.GetTypes().Where(t => t.Namespace?.StartsWith("RefineWeb.Data.Configurations", StringComparison.Ordinal) == true && !t.IsNested),
            t => Assert.Contains(t.GetInterfaces(), i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(Microsoft.EntityFrameworkCore.IEntityTypeConfiguration<>)));
    }

    [Fact]
    public void The_web_app_uses_neither_tensors_nor_an_image_codec_pictures_cross_as_bytes_or_the_engine_s_image_type()
    {
        var result = Types.InAssembly(Web).ShouldNot().HaveDependencyOnAny("TorchSharp", "SkiaSharp").GetResult();
        Assert.True(result.IsSuccessful, $"Web types that use them: {Failing(result)}");
    }

    [Fact]
    public void Components_reach_the_app_through_services_not_endpoint_classes()
    {
        var result = Types.InAssembly(Web).That().ResideInNamespace("RefineWeb.Components").ShouldNot().HaveDependencyOn("RefineWeb.Apis").GetResult();
        Assert.True(result.IsSuccessful, $"Components that call endpoint classes: {Failing(result)}");
    }

    [Fact]
    public void The_web_app_s_rooms_depend_on_each_other_without_a_cycle()
    {
        var rooms = Web.GetTypes().Select(t => t.Namespace).OfType<string>().Where(n => n.StartsWith("RefineWeb.", StringComparison.Ordinal))
            .Select(n => n.Split('.')[1]).Distinct().Order().ToList();
        Assert.Contains("Contracts", rooms);
        Assert.Contains("Apis", rooms);
        var edges = new Dictionary<string, List<string>>();
        foreach (var from in rooms)
        {
            edges[from] = [];
            foreach (var to in rooms.Where(r => r != from))
            {
                var users = Types.InAssembly(Web).That().ResideInNamespace($"RefineWeb.{from}").And().HaveDependencyOn($"RefineWeb.{to}").GetTypes().ToList();
                if (users.Count == 0) continue;
                edges[from].Add(to);
                output.WriteLine($"{from} -> {to} ({string.Join(", ", users.Take(3).Select(t => t.Name))}{(users.Count > 3 ? ", ..." : "")})");
            }
        }
        Assert.Null(Cycle(edges));
    }

    /// <summary>One cycle as "A -> B -> A", or null when the graph has none (depth-first search).</summary>
    static string? Cycle(Dictionary<string, List<string>> edges)
    {
        var state = edges.Keys.ToDictionary(k => k, _ => 0); // 0 unseen, 1 on the path, 2 done
        var path = new List<string>();
        string? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in edges[node])
            {
                if (state[next] == 1) return string.Join(" -> ", path.SkipWhile(n => n != next).Append(next));
                if (state[next] == 0 && Visit(next) is { } found) return found;
            }
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
        return edges.Keys.Where(k => state[k] == 0).Select(Visit).FirstOrDefault(c => c is not null);
    }
}
