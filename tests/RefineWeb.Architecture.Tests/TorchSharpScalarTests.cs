using System.Reflection;
using System.Reflection.Emit;
using TorchSharp;

namespace RefineWeb.Architecture.Tests;

/// <summary>
/// build/BannedSymbols.txt keeps every TorchSharp call that leaves a Scalar to the finalizer out of the app's code
/// (see ScalarArguments). The list is read off TorchSharp's own IL, so it stays true when TorchSharp changes: every
/// public method of the tensor API that makes a Scalar (an implicit conversion or ToScalar) and never disposes one,
/// or calls such a method itself (<c>a + b</c> calls <c>add(b)</c>, which makes its alpha), must be on it.
/// </summary>
public sealed class TorchSharpScalarTests
{
    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>The methods a method body calls, read from its IL (call and callvirt operands).</summary>
    static IEnumerable<MethodBase> Callees(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray() ?? [];
        for (int i = 0; i < il.Length;)
        {
            var op = il[i] == 0xFE ? OpCodesByValue[(short)(0xFE00 | il[i + 1])] : OpCodesByValue[il[i]];
            i += op.Size;
            if ((op == OpCodes.Call || op == OpCodes.Callvirt) && Resolve(method, BitConverter.ToInt32(il, i)) is { } callee) yield return callee;
            i += op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
        }
    }

    static MethodBase? Resolve(MethodBase method, int token)
    {
        try
        {
            return method.Module.ResolveMethod(token, method.DeclaringType?.GetGenericArguments(), method.IsGenericMethod ? method.GetGenericArguments() : null);
        }
        catch (ArgumentException)
        {
            return null; // a generic instantiation this reader cannot place: not a Scalar factory
        }
    }

    /// <summary>A documentation id as BannedSymbols.txt writes it: M:Namespace.Type.Nested.Name(Param,Param).</summary>
    static string Id(MethodInfo method) =>
        $"M:{method.DeclaringType!.FullName!.Replace('+', '.')}.{method.Name}({string.Join(",", method.GetParameters().Select(p => p.ParameterType.FullName!.Replace('+', '.')))})";

    [Fact]
    public void Every_torchsharp_tensor_call_that_leaves_a_scalar_to_the_finalizer_is_banned()
    {
        Type[] types;
        try
        {
            types = typeof(torch).Assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            types = [.. e.Types.OfType<Type>()];
        }
        var methods = types.SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .ToDictionary(m => (MethodBase)m, m => Callees(m).ToList());
        // Methods that make a Scalar and dispose none, then (over and over) every method that calls one of those.
        var leaks = methods.Where(m => m.Value.Any(c => c.Name == "ToScalar" || (c.DeclaringType == typeof(Scalar) && c.Name == "op_Implicit"))
            && !m.Value.Any(c => c.Name == "Dispose")).Select(m => m.Key).ToHashSet();
        for (int before = -1; before != leaks.Count;)
        {
            before = leaks.Count;
            leaks.UnionWith(methods.Where(m => m.Value.Any(leaks.Contains)).Select(m => m.Key));
        }
        // The tensor API the app could call; not distributions, TorchScript, TensorBoard or printing, which it does not use.
        var leaking = leaks.OfType<MethodInfo>()
            .Where(m => m.IsPublic && m.DeclaringType is { } t && (t.FullName!.StartsWith("TorchSharp.torch", StringComparison.Ordinal) || t == typeof(Scalar) || t == typeof(TensorExtensionMethods))
                && !new[] { "distributions", "jit", "tensorboard" }.Any(t.FullName.Contains) && m.Name != "ToString")
            .Where(m => !m.GetParameters().Any(p => p.ParameterType.IsGenericType || p.ParameterType.IsByRef)) // none the app calls
            .Select(Id).Distinct().ToList();

        var banned = File.ReadAllLines(Path.Combine(RepositoryRoot(), "build", "BannedSymbols.txt"))
            .Where(line => line.StartsWith("M:", StringComparison.Ordinal)).Select(line => line.Split(';')[0]).ToHashSet();
        Assert.NotEmpty(leaking); // the reader works: TorchSharp 0.107 has such methods
        Assert.Contains("M:TorchSharp.torch.Tensor.op_Multiply(TorchSharp.torch.Tensor,System.Double)", leaking);
        var missing = leaking.Where(id => !banned.Contains(id)).ToList();
        Assert.True(missing.Count == 0, "Not in build/BannedSymbols.txt: " + string.Join(" | ", missing));
    }

    static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "RefineWeb.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("RefineWeb.sln not found above the test output.");
    }
}
