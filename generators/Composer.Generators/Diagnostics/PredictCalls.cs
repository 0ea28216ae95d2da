using System.Collections.Concurrent;
using Composer.Core;
using Composer.Generators.Model;
using Composer.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Composer.Generators.Diagnostics;

/// <summary>
/// CMP0021: in a program (an executable, which no other code can call into), a trainer whose members handle Predict
/// events while nothing calls its <c>Predict</c>. A library's trainer may be predicted with by its users, so it is not
/// reported; nor are a test project's (NUnit, xUnit, MSTest), nor any trainer when <c>Predict</c> is called through the
/// base <c>Trainer</c> type.
/// </summary>
internal sealed class PredictCalls
{
    private readonly ConcurrentBag<(INamedTypeSymbol Trainer, Location Location, Call Call, Event Event)> _candidates = [];
    private readonly ConcurrentDictionary<INamedTypeSymbol, bool> _predicted = new(SymbolEqualityComparer.Default);

    /// <summary>Starts watching an executable's Predict calls; null (nothing to watch) for a library or a test project.</summary>
    public static PredictCalls? Register(CompilationStartAnalysisContext start, KnownTypeSymbols known)
    {
        if (start.Compilation.Options.OutputKind is not (OutputKind.ConsoleApplication or OutputKind.WindowsApplication)) return null;
        // A test project builds as an executable too, and exercises trainers in part on purpose.
        if (start.Compilation.ReferencedAssemblyNames.Any(a => a.Name is "nunit.framework" or "xunit.core" or "xunit.v3.core"
                or "Microsoft.VisualStudio.TestPlatform.TestFramework" or "MSTest.TestFramework"))
            return null;
        var calls = new PredictCalls();
        start.RegisterOperationAction(c =>
        {
            var invocation = (IInvocationOperation)c.Operation;
            // Through the base Trainer type any trainer may be the one: recorded as the base, which silences them all.
            if (invocation.TargetMethod.Name == "Predict" && invocation.Instance?.Type is INamedTypeSymbol receiver)
                calls._predicted[receiver] = true;
        }, OperationKind.Invocation);
        start.RegisterCompilationEndAction(c =>
        {
            if (known.TrainerBase is { } trainerBase && calls._predicted.ContainsKey(trainerBase)) return;
            foreach (var candidate in calls._candidates)
                if (!calls._predicted.ContainsKey(candidate.Trainer))
                    c.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.PredictNeverCalled, candidate.Location,
                        $"{candidate.Call.Member.DisplayName}.{candidate.Call.Subscription.MethodName}", candidate.Event.ToString(), candidate.Trainer.Name));
        });
        return calls;
    }

    /// <summary>Notes the Predict* calls of a trainer the analyzer has parsed.</summary>
    public void Consider(INamedTypeSymbol trainer, TrainerSpec spec)
    {
        foreach (EventCalls calls in spec.Schedule.Where(e => e.Event is >= Event.PredictStart and <= Event.PredictEnd))
            foreach (Call call in calls.Calls)
                _candidates.Add((trainer, trainer.Locations.FirstOrDefault() ?? Location.None, call, calls.Event));
    }
}
