using Composer.Core;
using Composer.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Composer.Generators.Diagnostics;

/// <summary>
/// CMP0016: reading a tensor of the <c>State</c> back to the host (<c>item</c>, <c>ToSingle</c>, <c>data</c>, <c>cpu</c>, ...)
/// inside an <c>[OnEvent]</c> method of a training batch's events makes a GPU trainer wait for the device every batch.
/// </summary>
internal static class DeviceSyncs
{
    private static readonly HashSet<string> Reads = new(StringComparer.Ordinal)
    {
        "item", "ToSingle", "ToDouble", "ToInt32", "ToInt64", "ToBoolean", "ToScalar", "cpu", "data", "tolist", "numpy",
    };

    public static void Check(OperationAnalysisContext context, KnownTypeSymbols known)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (!Reads.Contains(invocation.TargetMethod.Name)) return;
        // ToSingle, ToDouble and the like are TorchSharp's extension methods: the tensor is their first argument.
        IOperation? receiver = invocation.TargetMethod.IsExtensionMethod && invocation.Arguments.Length > 0
            ? invocation.Arguments[0].Value
            : invocation.Instance;
        while (receiver is IConversionOperation conversion) receiver = conversion.Operand;
        if (receiver is null) return;
        if (receiver.Type?.ToDisplayString() != "TorchSharp.torch.Tensor") return;
        if (context.ContainingSymbol is not IMethodSymbol handler) return;
        Event? perBatch = TrainerParser.OnEventAttributes(handler, known)
            .Select(a => a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value is int e ? (Event?)e : null)
            .FirstOrDefault(e => e is >= Event.BeforeDataloader and <= Event.BatchCheckpoint);
        if (perBatch is not { } @event) return;
        // A tensor reached from the State (state.Loss, state.Batch.Inputs, state.Outputs.argmax(1)).
        if (!receiver.DescendantsAndSelf().Any(o => KnownTypeSymbols.Is(o.Type, known.State))) return;
        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.DeviceSyncPerBatch, invocation.Syntax.GetLocation(),
            invocation.TargetMethod.Name, $"{handler.ContainingType.Name}.{handler.Name}", @event.ToString()));
    }
}
