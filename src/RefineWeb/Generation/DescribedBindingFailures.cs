using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using RefineWeb.Security;

namespace RefineWeb.Generation;

/// <summary>
/// A hub protocol (JSON or MessagePack) as it is, except that a request whose arguments cannot be read says which
/// field is at fault, in the API's words ("'stepz' is not a field of a generation request."), instead of SignalR's
/// bare "Failed to invoke 'Generate'". SignalR passes a <see cref="HubException"/>'s message on to the client; any
/// other binding failure it reduces to that bare sentence, so the failure is re-described as one here.
/// </summary>
public sealed class DescribedBindingFailures(IHubProtocol protocol) : IHubProtocol
{
    public string Name => protocol.Name;

    public int Version => protocol.Version;

    public TransferFormat TransferFormat => protocol.TransferFormat;

    public bool IsVersionSupported(int version) => protocol.IsVersionSupported(version);

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => protocol.WriteMessage(message, output);

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => protocol.GetMessageBytes(message);

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        if (!protocol.TryParseMessage(ref input, binder, out message)) return false;
        if (message is InvocationBindingFailureMessage failure)
            message = new InvocationBindingFailureMessage(failure.InvocationId, failure.Target,
                ExceptionDispatchInfo.Capture(new HubException(Describe(failure.BindingFailure.SourceException, failure.Target))));
        return true;
    }

    /// <summary>The innermost reason, as the API words it; SignalR's own wrapper says only that binding failed.</summary>
    static string Describe(Exception failure, string method)
    {
        var (request, what) = method switch
        {
            nameof(GenerationHub.Generate) => (typeof(GenerationInput), "generation"),
            _ => ((Type?)null, $"'{method}'"),
        };
        for (var e = failure; e is not null; e = e.InnerException)
            if (e is JsonException json) return RequestErrors.Describe(json, request, what);
        var innermost = failure;
        while (innermost.InnerException is { } inner) innermost = inner;
        return innermost == failure
            ? $"The arguments of {method} could not be read; check their types."
            : innermost.Message; // MessagePack: this app's formatters name the field ("'stepz' is not a field of a generationInput.")
    }
}
