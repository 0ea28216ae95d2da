using System.Collections.Immutable;
using Composer.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Composer.Generators.Diagnostics;

/// <summary>
/// Reports what keeps a trainer from being generated or a method from being called. Kept apart from the
/// generator, as the Roslyn cookbook advises, so the generator's cache holds and the diagnostics can be
/// suppressed like any other; CMP0005 alone comes from the generator (see <see cref="TrainerGenerator"/>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TrainerAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.WrongHandlerSignature,
        DiagnosticDescriptors.StaticHandler,
        DiagnosticDescriptors.GenericHandler,
        DiagnosticDescriptors.InaccessibleHandler,
        DiagnosticDescriptors.TrainerNestedOrGeneric,
        DiagnosticDescriptors.TrainerHasBaseClass,
        DiagnosticDescriptors.DuplicateMember,
        DiagnosticDescriptors.InvalidMember,
        DiagnosticDescriptors.MemberWithoutHandlers,
        DiagnosticDescriptors.LossInterpolatedTwice,
        DiagnosticDescriptors.IncompatibleMembers,
        DiagnosticDescriptors.OrderingCycle,
        DiagnosticDescriptors.InvalidTimeString,
        DiagnosticDescriptors.EventNeverRaised,
        DiagnosticDescriptors.DeviceSyncPerBatch,
        DiagnosticDescriptors.StateNotCheckpointed,
        DiagnosticDescriptors.TensorFreedWithTheScope,
        DiagnosticDescriptors.PredictNeverCalled);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            KnownTypeSymbols known = KnownTypeSymbols.For(start.Compilation);
            if (!known.HasRuntime) return;
            start.RegisterSymbolAction(c => AnalyzeMethod(c, known), SymbolKind.Method);
            PredictCalls? predictions = PredictCalls.Register(start, known);
            start.RegisterSymbolAction(c =>
            {
                var type = (INamedTypeSymbol)c.Symbol;
                if (TrainerParser.Parse(type, known, c.ReportDiagnostic, c.CancellationToken) is { } spec) predictions?.Consider(type, spec);
            }, SymbolKind.NamedType);
            start.RegisterOperationAction(c => AnalyzeTrainerCreation(c, known), OperationKind.ObjectCreation);
            start.RegisterOperationAction(c => TimeStrings.Check(c, known), OperationKind.ObjectCreation, OperationKind.Invocation);
            start.RegisterOperationAction(c => DeviceSyncs.Check(c, known), OperationKind.Invocation);
            start.RegisterOperationAction(c => DisposeScopes.Check(c, known), OperationKind.SimpleAssignment);
            start.RegisterOperationAction(c => Accumulators.Check(c, known),
                OperationKind.CompoundAssignment, OperationKind.Increment, OperationKind.Decrement, OperationKind.SimpleAssignment);
        });
    }

    private static void AnalyzeMethod(SymbolAnalysisContext context, KnownTypeSymbols known)
    {
        var method = (IMethodSymbol)context.Symbol;
        if (!TrainerParser.OnEventAttributes(method, known).Any()) return;
        if (TrainerParser.CheckHandler(method, known) is { } diagnostic)
            context.ReportDiagnostic(diagnostic);
    }

    // CMP0011 where only the arguments tell: new MyTrainer(new MixUp(interpolateLoss: true), new CutMix(interpolateLoss: true), ...).
    // Members that always interpolate are reported on the [Trainer] class instead, so they count here only alongside one
    // that is switched on.
    private static void AnalyzeTrainerCreation(OperationAnalysisContext context, KnownTypeSymbols known)
    {
        var creation = (IObjectCreationOperation)context.Operation;
        if (creation.Type is not INamedTypeSymbol trainer
            || !trainer.GetAttributes().Any(a => KnownTypeSymbols.Is(a.AttributeClass, known.TrainerAttribute)))
            return;
        var interpolating = new List<(string Name, bool Always)>();
        foreach (IArgumentOperation argument in creation.Arguments)
        {
            if (Unwrap(argument.Value) is not IObjectCreationOperation member || member.Type is not INamedTypeSymbol memberType) continue;
            (bool always, string? when) = TrainerParser.LossInterpolation(memberType, known);
            if (always || (when is not null && IsConstantTrue(member, when)))
                interpolating.Add((memberType.Name, always));
        }
        if (interpolating.Count < 2 || interpolating.Count(i => i.Always) >= 2) return;
        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.LossInterpolatedTwice, creation.Syntax.GetLocation(),
            interpolating[0].Name, interpolating[1].Name, trainer.Name));
    }

    private static IOperation Unwrap(IOperation operation) => operation is IConversionOperation conversion ? Unwrap(conversion.Operand) : operation;

    private static bool IsConstantTrue(IObjectCreationOperation creation, string parameter) =>
        creation.Arguments.Any(a => a.Parameter?.Name == parameter && a.Value.ConstantValue is { HasValue: true, Value: true });
}
