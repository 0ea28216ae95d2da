using System.Collections.Immutable;
using Composer.Generators.CodeFixes;
using Composer.Generators.Diagnostics;
using Composer.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace Composer.Generators.Tests;

/// <summary>
/// Each code fix on a before and after source, run by Roslyn's testing library (Microsoft.CodeAnalysis.CSharp.CodeFix.Testing):
/// the diagnostic is where the markup says, the fix gives exactly the after source, and the after source has no
/// diagnostic left.
/// </summary>
public class CodeFixTests
{
    private const string Usings = """
        using Composer;
        using Composer.Core;
        using Composer.Loggers;

        """;

    // The runtime's assemblies as the test host has them: no reference pack is downloaded.
    private static readonly ImmutableArray<MetadataReference> References = [..
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(path => !Path.GetFileName(path).StartsWith("Composer.Generators", StringComparison.OrdinalIgnoreCase))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))];

    private static async Task Verify<TAnalyzer>(string before, string after) where TAnalyzer : DiagnosticAnalyzer, new()
    {
        var test = new CSharpCodeFixTest<TAnalyzer, TrainerCodeFixes, DefaultVerifier>
        {
            TestCode = Usings + before,
            FixedCode = Usings + after,
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(References);
        test.FixedState.AdditionalReferences.AddRange(References);
        // The compiler's warnings about missing XML docs are not what these tests are about.
        test.CompilerDiagnostics = CompilerDiagnostics.Errors;
        await test.RunAsync();
    }

    [Test]
    public Task CMP0005_AddsPartial() => Verify<NotPartialAsAnalyzer>(
        "[Trainer] public class {|CMP0005:MyTrainer|};",
        "[Trainer] public partial class MyTrainer;");

    [Test]
    public Task CMP0005_AddsPartialWithoutOtherModifiers() => Verify<NotPartialAsAnalyzer>(
        "[Trainer]\nclass {|CMP0005:MyTrainer|} { }",
        "[Trainer]\npartial class MyTrainer { }");

    [Test]
    public Task CMP0001_GivesTheStateSignature() => Verify<TrainerAnalyzer>(
        "public sealed class A : Algorithm { [OnEvent(Event.BatchEnd)] public int {|CMP0001:Apply|}(int x) { throw null!; } }",
        "public sealed class A : Algorithm { [OnEvent(Event.BatchEnd)] public void Apply(State state) { throw null!; } }");

    [Test]
    public Task CMP0001_KeepsTheLogger() => Verify<TrainerAnalyzer>(
        "public sealed class A : Callback { [OnEvent(Event.BatchEnd)] public void {|CMP0001:Apply|}(Logger logger, State s) { } }",
        "public sealed class A : Callback { [OnEvent(Event.BatchEnd)] public void Apply(State state, Logger logger) { } }");

    [Test]
    public Task CMP0002_RemovesStatic() => Verify<TrainerAnalyzer>(
        "public sealed class A : Algorithm { [OnEvent(Event.BatchEnd)] public static void {|CMP0002:Apply|}(State state) { } }",
        "public sealed class A : Algorithm { [OnEvent(Event.BatchEnd)] public void Apply(State state) { } }");

    [Test]
    public Task CMP0003_RemovesTypeParameters() => Verify<TrainerAnalyzer>(
        "public sealed class A : Algorithm { [OnEvent(Event.BatchEnd)] public void {|CMP0003:Apply|}<T>(State state) where T : class { } }",
        "public sealed class A : Algorithm { [OnEvent(Event.BatchEnd)] public void Apply(State state) { } }");

    [Test]
    public Task CMP0004_MakesThePrivateMethodPublic() => Verify<TrainerAnalyzer>(
        "public sealed class A : Algorithm { [OnEvent(Event.BatchEnd)] private void {|CMP0004:Apply|}(State state) { } }",
        "public sealed class A : Algorithm { [OnEvent(Event.BatchEnd)] public void Apply(State state) { } }");

    [Test]
    public Task CMP0007_RemovesTheBaseClass() => Verify<TrainerAnalyzer>(
        "public class Base { }\n[Trainer] public partial class {|CMP0007:MyTrainer|} : Base;",
        "public class Base { }\n[Trainer] public partial class MyTrainer;");

    [Test]
    public Task CMP0008_RemovesTheSecondListing() => Verify<TrainerAnalyzer>(
        """
        public sealed class A : Algorithm { [OnEvent(Event.BatchEnd)] public void Apply(State state) { } }
        [Trainer(typeof(A), {|CMP0008:typeof(A)|})] public partial class MyTrainer;
        """,
        """
        public sealed class A : Algorithm { [OnEvent(Event.BatchEnd)] public void Apply(State state) { } }
        [Trainer(typeof(A))] public partial class MyTrainer;
        """);

    [Test]
    public Task CMP0010_RemovesAMemberWithoutHandlers() => Verify<TrainerAnalyzer>(
        """
        public sealed class A : Algorithm { [OnEvent(Event.BatchEnd)] public void Apply(State state) { } }
        public sealed class Idle : Callback { }
        [Trainer(typeof(A), {|CMP0010:typeof(Idle)|})] public partial class MyTrainer;
        """,
        """
        public sealed class A : Algorithm { [OnEvent(Event.BatchEnd)] public void Apply(State state) { } }
        public sealed class Idle : Callback { }
        [Trainer(typeof(A))] public partial class MyTrainer;
        """);

    [Test]
    public Task CMP0019_MarksTheFieldCheckpointedAndTheClassPartial() => Verify<TrainerAnalyzer>(
        """
        public sealed class Count : Callback
        {
            private long _batches;
            [OnEvent(Event.BatchEnd)] public void Add(State state) => {|CMP0019:_batches|}++;
        }
        """,
        """
        public sealed partial class Count : Callback
        {
            [Checkpointed] private long _batches;
            [OnEvent(Event.BatchEnd)] public void Add(State state) => _batches++;
        }
        """);

    [Test]
    public Task CMP0020_DetachesTheKeptTensor() => Verify<TrainerAnalyzer>(
        """
        public sealed class Keep : Callback
        {
            private TorchSharp.torch.Tensor? _doubled;
            [OnEvent(Event.BatchEnd)] public void Add(State state) => _doubled = {|CMP0020:state.Loss * 2|};
        }
        """,
        """
        public sealed class Keep : Callback
        {
            private TorchSharp.torch.Tensor? _doubled;
            [OnEvent(Event.BatchEnd)] public void Add(State state) => _doubled = (state.Loss * 2).DetachFromDisposeScope();
        }
        """);

    /// <summary>
    /// CMP0005 comes from the generator, which the testing library does not run: this reports it from the same
    /// <see cref="TrainerParser.NotPartial"/> call, at the same place, so the fix is tested on the generator's diagnostic.
    /// </summary>
    // A test double run in process by the testing library, never loaded by a compiler: the packaging rules do not apply.
#pragma warning disable RS1036, RS1038, RS1041
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    private sealed class NotPartialAsAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [DiagnosticDescriptors.TrainerNotPartial];

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            context.RegisterSymbolAction(c =>
            {
                var type = (INamedTypeSymbol)c.Symbol;
                if (!type.GetAttributes().Any(a => a.AttributeClass?.Name == "TrainerAttribute")) return;
                // The generator's diagnostic points into the file by path and span; here it is the tree's own location.
                if (TrainerParser.NotPartial(type, c.CancellationToken) is { } info && type.Locations[0].SourceSpan == info.Span)
                    c.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.TrainerNotPartial, type.Locations[0], [.. info.Arguments]));
            }, SymbolKind.NamedType);
        }
    }
#pragma warning restore RS1036, RS1038, RS1041
}
