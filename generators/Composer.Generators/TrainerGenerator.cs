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
/// <see cref="Diagnostics.TrainerAnalyzer"/>.
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
        IncrementalValuesProvider<TrainerSpec> specs = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypeSymbols.TrainerAttributeName,
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, ct) => TrainerParser.Parse((INamedTypeSymbol)ctx.TargetSymbol,
                    KnownTypeSymbols.For(ctx.SemanticModel.Compilation), report: null, ct))
            .WithTrackingName(Steps.Specs)
            .Where(static spec => spec is not null)
            .Select(static (spec, _) => spec!)
            .WithTrackingName(Steps.ValidSpecs);

        context.RegisterSourceOutput(specs, static (output, spec) =>
        {
            output.AddSource(spec.HintName, SourceText.From(TrainerEmitter.Emit(spec), System.Text.Encoding.UTF8));
            output.AddSource(spec.ScheduleHintName, SourceText.From(ScheduleEmitter.Emit(spec), System.Text.Encoding.UTF8));
        });
    }
}
