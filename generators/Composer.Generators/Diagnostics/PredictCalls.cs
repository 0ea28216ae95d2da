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
internal static class PredictCalls
{
    public static void Register(CompilationStartAnalysisContext start, KnownTypeSymbols known)
    {
        if (start.Compilation.Options.OutputKind is not (OutputKind.ConsoleApplication or OutputKind.WindowsApplication)) return;
        // A test project builds as an executable too, and exercises trainers in part on purpose.
        if (start.Compilation.ReferencedAssemblyNames.Any(a => a.Name is "nunit.framework" or "xunit.core" or "xunit.v3.core"
                or "Microsoft.VisualStudio.TestPlatform.TestFramework" or "MSTest.TestFramework"))
            return;
        var candidates = new ConcurrentBag<(INamedTypeSymbol Trainer, Location Location, Call Call, Event Event)>();
        var predicted = new ConcurrentDictionary<INamedTypeSymbol, bool>(SymbolEqualityComparer.Default);

        start.RegisterSymbolAction(c =>
        {
            var type = (INamedTypeSymbol)c.Symbol;
            if (!type.GetAttributes().Any(a => KnownTypeSymbols.Is(a.AttributeClass, known.TrainerAttribute))) return;
            if (TrainerParser.Parse(type, known, report: null, c.CancellationToken) is not { } spec) return;
            foreach (EventCalls calls in spec.Schedule.Where(e => e.Event is >= Event.PredictStart and <= Event.PredictEnd))
                foreach (Call call in calls.Calls)
                    candidates.Add((type, type.Locations.FirstOrDefault() ?? Location.None, call, calls.Event));
        }, SymbolKind.NamedType);

        start.RegisterOperationAction(c =>
        {
            var invocation = (IInvocationOperation)c.Operation;
            if (invocation.TargetMethod.Name != "Predict" || invocation.Instance?.Type is not INamedTypeSymbol receiver) return;
            // Through the base Trainer type any trainer may be the one: recorded as the base, which silences them all.
            predicted[receiver] = true;
        }, OperationKind.Invocation);

        start.RegisterCompilationEndAction(c =>
        {
            if (known.TrainerBase is { } trainerBase && predicted.ContainsKey(trainerBase)) return;
            foreach (var candidate in candidates)
                if (!predicted.ContainsKey(candidate.Trainer))
                    c.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.PredictNeverCalled, candidate.Location,
                        $"{candidate.Call.Member.DisplayName}.{candidate.Call.Subscription.MethodName}", candidate.Event.ToString(), candidate.Trainer.Name));
        });
    }
}
