using Composer.Core;
using Composer.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Composer.Generators.Diagnostics;

/// <summary>
/// CMP0019: an <c>[OnEvent]</c> method that accumulates into an instance field (<c>_count++</c>, <c>_sum += x</c>,
/// <c>_seen = _seen + 1</c>) of a class that does not take part in checkpointing, where the field is not
/// <c>[Checkpointed]</c>: a resumed run would start that count over (Lightning #17543, Composer #3725). Fields assigned
/// afresh (a batch's stash restored at a later event of the same batch) are not accumulators and are not reported.
/// </summary>
internal static class Accumulators
{
    public static void Check(OperationAnalysisContext context, KnownTypeSymbols known)
    {
        if (context.ContainingSymbol is not IMethodSymbol handler || handler.ContainingType is not { } type) return;
        AttributeData? onEvent = TrainerParser.OnEventAttributes(handler, known).FirstOrDefault();
        if (onEvent is null || type.AllInterfaces.Any(i => i.ToDisplayString() == "Composer.Core.IStateful")) return;

        IFieldReferenceOperation? field = context.Operation switch
        {
            ICompoundAssignmentOperation compound => compound.Target as IFieldReferenceOperation,
            IIncrementOrDecrementOperation step => step.Target as IFieldReferenceOperation,
            ISimpleAssignmentOperation { Target: IFieldReferenceOperation target } assignment
                when assignment.Value.DescendantsAndSelf().OfType<IFieldReferenceOperation>().Any(f => SymbolEqualityComparer.Default.Equals(f.Field, target.Field))
                => target,
            _ => null,
        };
        if (field is null || field.Field.IsStatic || !SymbolEqualityComparer.Default.Equals(field.Field.ContainingType, type)) return;
        if (field.Instance is not IInstanceReferenceOperation) return;
        if (field.Field.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "Composer.Core.CheckpointedAttribute")) return;
        string @event = onEvent.ConstructorArguments.Length == 1 && onEvent.ConstructorArguments[0].Value is int e ? ((Event)e).ToString() : "?";
        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.StateNotCheckpointed, field.Syntax.GetLocation(),
            $"{type.Name}.{handler.Name}", field.Field.Name, @event, type.Name));
    }
}
