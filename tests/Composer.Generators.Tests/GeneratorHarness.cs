using System.Collections.Immutable;
using Composer.Generators;
using Composer.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Composer.Generators.Tests;

/// <summary>Compiles test sources against the runtime library and runs the generator and the analyzer on them.</summary>
internal static class GeneratorHarness
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        string[] platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        // The test host also lists the generator's own assembly, which no user compilation references.
        return platform
            .Where(path => !Path.GetFileName(path).Equals("Composer.Generators.dll", StringComparison.OrdinalIgnoreCase))
            // Nor NUnit: a compilation referencing it counts as a test project (CMP0021 skips those).
            .Where(path => !Path.GetFileName(path).StartsWith("nunit", StringComparison.OrdinalIgnoreCase))
            .Append(typeof(Composer.Trainer).Assembly.Location)
            .Append(typeof(TorchSharp.torch).Assembly.Location)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    });

    public static CSharpCompilation Compile(params string[] sources) => Compile(OutputKind.DynamicallyLinkedLibrary, sources);

    public static CSharpCompilation Compile(OutputKind kind, params string[] sources) => CSharpCompilation.Create(
        "TestAssembly",
        sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
        References.Value,
        new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable)
            // The .NET SDK's default NoWarn: TorchSharp (built for net8.0) unifies with net10.0's assemblies.
            .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic>
            {
                ["CS1701"] = ReportDiagnostic.Suppress,
                ["CS1702"] = ReportDiagnostic.Suppress,
            }));

    /// <summary>Compiles with the generator and the analyzer; returns every error and warning, generated files included.</summary>
    public static IReadOnlyList<Diagnostic> CompileWithGenerator(OutputKind kind, string source)
    {
        // The global usings a `dotnet new console` project gets from ImplicitUsings.
        const string implicitUsings = """
            global using global::System;
            global using global::System.Collections.Generic;
            global using global::System.IO;
            global using global::System.Linq;
            global using global::System.Net.Http;
            global using global::System.Threading;
            global using global::System.Threading.Tasks;
            """;
        CSharpCompilation input = Compile(kind, source, implicitUsings);
        CreateDriver().RunGeneratorsAndUpdateCompilation(input, out Compilation output, out var generatorDiagnostics);
        return generatorDiagnostics.Concat(output.GetDiagnostics())
            .Concat(output.WithAnalyzers([new TrainerAnalyzer()]).GetAnalyzerDiagnosticsAsync().Result)
            .Where(d => d.Severity == DiagnosticSeverity.Error || (d.Severity == DiagnosticSeverity.Warning && d.Id != "CS1591"))
            .ToList();
    }

    public static GeneratorDriver CreateDriver() => CSharpGeneratorDriver.Create(
        [new TrainerGenerator().AsSourceGenerator()],
        parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>
    /// Runs the generator; returns the generated files and the compilation that includes them. Every call also runs
    /// a second pass on a clone of the compilation and checks that the cache holds: no step reruns, no file is rewritten.
    /// </summary>
    public static (ImmutableArray<GeneratedSourceResult> Sources, Compilation Output) Generate(params string[] sources)
    {
        var (generated, output, reported) = GenerateReporting(sources);
        Assert.That(reported, Is.Empty, "the generator reports CMP0005 only, and these sources do not call for it");
        return (generated, output);
    }

    /// <summary>As <see cref="Generate"/>, with what the generator reported (CMP0005, a trainer that is not partial).</summary>
    public static (ImmutableArray<GeneratedSourceResult> Sources, Compilation Output, ImmutableArray<Diagnostic> Reported) GenerateReporting(
        params string[] sources)
    {
        CSharpCompilation input = Compile(sources);
        GeneratorDriver driver = CreateDriver().RunGeneratorsAndUpdateCompilation(input, out Compilation output, out var generatorDiagnostics);
        GeneratorRunResult first = driver.GetRunResult().Results.Single();
        // The trainers' steps run on [Trainer] classes; [Checkpointed] classes have a step of their own.
        int trainerFiles = first.GeneratedSources.Count(g => !g.HintName.EndsWith(".Checkpointed.g.cs", StringComparison.Ordinal));
        AssertCacheHolds(driver.RunGenerators(input.Clone()).GetRunResult().Results.Single(), trainerFiles,
            generatorDiagnostics.Count(d => d.Id == "CMP0005"), first.GeneratedSources.Length - trainerFiles + generatorDiagnostics.Count(d => d.Id != "CMP0005"));
        return (first.GeneratedSources, output, generatorDiagnostics);
    }

    /// <summary>
    /// Every tracked step and every output of <paramref name="result"/> came from the cache. When the first pass wrote
    /// files, the steps must have run on something and the outputs must be there, so an empty run cannot pass.
    /// </summary>
    /// <param name="result">The second pass's run.</param>
    /// <param name="generatedFiles">The trainers' files of the first pass.</param>
    /// <param name="reportedDiagnostics">CMP0005s of the first pass (from the trainers' steps).</param>
    /// <param name="checkpointedOutputs">The [Checkpointed] classes' files and diagnostics of the first pass.</param>
    public static void AssertCacheHolds(GeneratorRunResult result, int generatedFiles, int reportedDiagnostics = 0, int checkpointedOutputs = 0)
    {
        // Every [Trainer] class is read (Specs); only those that can be generated reach ValidSpecs.
        (string Step, bool Ran)[] steps =
            [(TrainerGenerator.Steps.Specs, generatedFiles + reportedDiagnostics > 0), (TrainerGenerator.Steps.ValidSpecs, generatedFiles > 0)];
        foreach ((string step, bool ran) in steps)
        {
            var reasons = result.TrackedSteps.GetValueOrDefault(step, []).SelectMany(r => r.Outputs).Select(o => o.Reason).ToList();
            if (ran) Assert.That(reasons, Is.Not.Empty, $"step {step} ran on the trainer on the second pass");
            Assert.That(reasons, Is.All.EqualTo(IncrementalStepRunReason.Cached).Or.EqualTo(IncrementalStepRunReason.Unchanged), $"step {step} on the second pass");
        }
        // Files and reported diagnostics are both outputs, taken from the cache on the second pass.
        var outputs = result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        // The [Checkpointed] classes' output is one collected step, present (and cached) even when there are none.
        if (generatedFiles + checkpointedOutputs + reportedDiagnostics > 0)
            Assert.That(outputs, Is.Not.Empty, $"outputs for the {generatedFiles + checkpointedOutputs + reportedDiagnostics} file(s) and diagnostic(s) of the first pass");
        Assert.That(outputs, Is.All.EqualTo(IncrementalStepRunReason.Cached), "the files are not written again on the second pass");
    }

    /// <summary>The diagnostics of the generator and the analyzer on the sources (with the generated files).</summary>
    public static ImmutableArray<Diagnostic> Analyze(params string[] sources)
    {
        (_, Compilation output, ImmutableArray<Diagnostic> reported) = GenerateReporting(sources);
        return reported.AddRange(output.WithAnalyzers([new TrainerAnalyzer()]).GetAnalyzerDiagnosticsAsync().Result);
    }

    /// <summary>Compiler errors anywhere, and warnings in the generated files (unresolved crefs included).</summary>
    public static IEnumerable<Diagnostic> CompilerProblems(Compilation output) =>
        output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error ||
            (d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true));
}
