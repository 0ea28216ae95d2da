using Composer.Generators.Diagnostics;
using Composer.Generators.Emitting;
using Composer.Generators.Model;
using Composer.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Composer.Generators;

/// <summary>
/// Writes one Trainer per <c>[Trainer(...)]</c> partial class, in two files: the loop, and its schedule (the
/// documented table of calls and the same table as data). The pipeline is
/// ForAttributeWithMetadataName, then an equatable <see cref="TrainerSpec"/>, then the emitter, so an
/// edit that does not change a spec reuses the cached source. Diagnostics come from
/// <see cref="Diagnostics.TrainerAnalyzer"/>, except CMP0005 (a trainer that is not partial): the generator reports it,
/// because a class it cannot extend breaks every use of the trainer, and the compiler runs no analyzer on a build with
/// errors.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class TrainerGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline's steps, for the incremental-cache tests.</summary>
    public static class Steps
    {
        /// <summary>The specs read from [Trainer] classes (null where none can be generated).</summary>
        public const string Specs = "TrainerSpecs";
        /// <summary>The specs that produce a file.</summary>
        public const string ValidSpecs = "ValidTrainerSpecs";
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<Parsed> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypeSymbols.TrainerAttributeName,
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, ct) =>
                {
                    var trainer = (INamedTypeSymbol)ctx.TargetSymbol;
                    KnownTypeSymbols known = KnownTypeSymbols.For(ctx.SemanticModel.Compilation);
                    return new Parsed(TrainerParser.Parse(trainer, known, report: null, ct),
                        known.HasRuntime ? TrainerParser.NotPartial(trainer, ct) : null);
                })
            .WithTrackingName(Steps.Specs);

        context.RegisterSourceOutput(parsed.Where(static p => p.NotPartial is not null).Select(static (p, _) => p.NotPartial!),
            static (output, diagnostic) => output.ReportDiagnostic(diagnostic.ToDiagnostic(DiagnosticDescriptors.TrainerNotPartial)));

        IncrementalValuesProvider<TrainerSpec> specs = parsed
            .Where(static p => p.Spec is not null)
            .Select(static (p, _) => p.Spec!)
            .WithTrackingName(Steps.ValidSpecs);

        // Classes with [Checkpointed] fields: one IStateful implementation each (every field of a class yields the
        // class, so they are told apart by name).
        IncrementalValueProvider<System.Collections.Immutable.ImmutableArray<CheckpointedResult>> checkpointed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "Composer.Core.CheckpointedAttribute",
                static (node, _) => node is VariableDeclaratorSyntax,
                static (ctx, ct) => CheckpointedParser.Parse(ctx.TargetSymbol.ContainingType, ct))
            .Collect();
        context.RegisterSourceOutput(checkpointed, static (output, results) =>
        {
            var written = new HashSet<string>(StringComparer.Ordinal);
            var reported = new HashSet<DiagnosticInfo>();
            foreach (CheckpointedResult result in results)
            {
                foreach (DiagnosticInfo diagnostic in result.Diagnostics)
                    if (reported.Add(diagnostic))
                        output.ReportDiagnostic(diagnostic.ToDiagnostic(diagnostic.Id == DiagnosticDescriptors.UnsupportedCheckpointedField.Id
                            ? DiagnosticDescriptors.UnsupportedCheckpointedField : DiagnosticDescriptors.CheckpointedTypeNotPartial));
                if (result.Spec is { } spec && written.Add(spec.HintName))
                    output.AddSource(spec.HintName, SourceText.From(CheckpointedEmitter.Emit(spec), System.Text.Encoding.UTF8));
            }
        });

        context.RegisterSourceOutput(specs, static (output, spec) =>
        {
            output.AddSource(spec.HintName, SourceText.From(TrainerEmitter.Emit(spec), System.Text.Encoding.UTF8));
            output.AddSource(spec.ScheduleHintName, SourceText.From(ScheduleEmitter.Emit(spec), System.Text.Encoding.UTF8));
        });
    }

    /// <summary>A [Trainer] class read: its spec when code can be generated, and CMP0005 when it is not partial.</summary>
    private sealed record Parsed(TrainerSpec? Spec, DiagnosticInfo? NotPartial);
}
