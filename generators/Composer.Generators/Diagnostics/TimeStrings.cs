using Composer.Core;
using Composer.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Composer.Generators.Diagnostics;

/// <summary>
/// CMP0014: a constant time string that the runtime would refuse, given to <c>Time.Parse</c> or to a parameter marked
/// <c>[TimeString]</c> (a string, or a list of them), parsed here by the runtime's own <see cref="TimeParser"/>.
/// </summary>
internal static class TimeStrings
{
    public static void Check(OperationAnalysisContext context, KnownTypeSymbols known)
    {
        if (known.TimeStringAttribute is null && known.Time is null) return;
        IEnumerable<IArgumentOperation> arguments = context.Operation switch
        {
            IInvocationOperation invocation => invocation.Arguments,
            IObjectCreationOperation creation => creation.Arguments,
            _ => [],
        };
        foreach (IArgumentOperation argument in arguments)
        {
            if (argument.Parameter is not { } parameter || !HoldsTimeStrings(parameter, known)) continue;
            // Defaults are the library's own; only what the caller wrote is checked.
            if (argument.ArgumentKind == ArgumentKind.DefaultValue) continue;
            foreach (IOperation value in Constants(argument.Value))
            {
                if (value.ConstantValue is not { HasValue: true, Value: string text }) continue;
                if (!TimeParser.TryParse(text, out _, out _, out string? error))
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InvalidTimeString, value.Syntax.GetLocation(), error));
            }
        }
    }

    private static bool HoldsTimeStrings(IParameterSymbol parameter, KnownTypeSymbols known) =>
        parameter.GetAttributes().Any(a => KnownTypeSymbols.Is(a.AttributeClass, known.TimeStringAttribute))
        || (parameter.ContainingSymbol is IMethodSymbol { Name: "Parse" or "TryParse" } method
            && KnownTypeSymbols.Is(method.ContainingType, known.Time) && parameter.Ordinal == 0);

    // The value itself, or the elements of an array or collection expression given for a list of time strings.
    private static IEnumerable<IOperation> Constants(IOperation value)
    {
        while (value is IConversionOperation conversion) value = conversion.Operand;
        return value switch
        {
            IArrayCreationOperation { Initializer: { } initializer } => initializer.ElementValues.SelectMany(Constants),
            ICollectionExpressionOperation collection => collection.Elements.SelectMany(Constants),
            _ => [value],
        };
    }
}
