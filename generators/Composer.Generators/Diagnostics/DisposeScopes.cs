using Composer.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Composer.Generators.Diagnostics;

/// <summary>
/// CMP0020: the trainer runs every batch inside a TorchSharp dispose scope, so a tensor an <c>[OnEvent]</c> method makes
/// (a call's or an operator's result) and stores in a field or static without <c>DetachFromDisposeScope()</c> is freed
/// when the batch ends, and its next use reads freed memory.
/// </summary>
internal static class DisposeScopes
{
    private const string Tensor = "TorchSharp.torch.Tensor";

    public static void Check(OperationAnalysisContext context, KnownTypeSymbols known)
    {
        var assignment = (ISimpleAssignmentOperation)context.Operation;
        if (assignment.Target is not IFieldReferenceOperation field || field.Type?.ToDisplayString().TrimEnd('?') != Tensor) return;
        if (context.ContainingSymbol is not IMethodSymbol handler || !TrainerParser.OnEventAttributes(handler, known).Any()) return;
        // Only a field of the member itself, or a static: State's properties are meant to live for the batch.
        if (!field.Field.IsStatic && field.Instance is not IInstanceReferenceOperation) return;
        if (!MadeHere(assignment.Value)) return;
        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.TensorFreedWithTheScope, assignment.Value.Syntax.GetLocation(),
            field.Field.Name, $"{handler.ContainingType.Name}.{handler.Name}"));
    }

    // A new tensor from a call or an operator, not one that already existed (a parameter, a field, State's), nor one
    // already taken out of the scope.
    private static bool MadeHere(IOperation value)
    {
        while (value is IConversionOperation conversion) value = conversion.Operand;
        return value switch
        {
            IInvocationOperation { TargetMethod.Name: "DetachFromDisposeScope" or "MoveToOuterDisposeScope" } => false,
            IInvocationOperation => true,
            IBinaryOperation or IUnaryOperation => true,
            IConditionalOperation conditional => MadeHere(conditional.WhenTrue) || (conditional.WhenFalse is { } f && MadeHere(f)),
            ICoalesceOperation coalesce => MadeHere(coalesce.Value) || MadeHere(coalesce.WhenNull),
            _ => false,
        };
    }
}
