using System.Collections.Immutable;
using Composer.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Composer.Generators.Diagnostics;

/// <summary>
/// Reports what keeps a trainer from being generated or a method from being called. Kept apart from the
/// generator, as the Roslyn cookbook advises, so the generator's cache holds and the diagnostics can be
/// suppressed like any other.
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
        DiagnosticDescriptors.TrainerNotPartial,
        DiagnosticDescriptors.TrainerNestedOrGeneric,
        DiagnosticDescriptors.TrainerHasBaseClass,
        DiagnosticDescriptors.DuplicateMember,
        DiagnosticDescriptors.InvalidMember,
        DiagnosticDescriptors.MemberWithoutHandlers,
        DiagnosticDescriptors.LossInterpolatedTwice,
        DiagnosticDescriptors.IncompatibleMembers,
        DiagnosticDescriptors.OrderingCycle);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (start.Compilation.GetTypeByMetadataName(TrainerParser.OnEventAttributeName) is null) return;
            start.RegisterSymbolAction(AnalyzeMethod, SymbolKind.Method);
            start.RegisterSymbolAction(AnalyzeTrainer, SymbolKind.NamedType);
        });
    }

    private static void AnalyzeMethod(SymbolAnalysisContext context)
    {
        var method = (IMethodSymbol)context.Symbol;
        if (!TrainerParser.OnEventAttributes(method).Any()) return;
        if (TrainerParser.CheckHandler(method) is { } diagnostic)
            context.ReportDiagnostic(diagnostic);
    }

    private static void AnalyzeTrainer(SymbolAnalysisContext context) =>
        TrainerParser.Parse((INamedTypeSymbol)context.Symbol, context.ReportDiagnostic, context.CancellationToken);
}
