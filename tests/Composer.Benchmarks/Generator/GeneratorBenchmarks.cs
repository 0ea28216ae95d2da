using System.Collections.Immutable;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Composer.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Composer.Benchmarks.Generator;

/// <summary>
/// The generator on a trainer of 50 members, each subscribed to all 40 events: a first run, and a run after
/// an edit to an unrelated file, which the cache should answer without rerunning a step.
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);
    private Compilation _compilation = null!;
    private Compilation _edited = null!;
    private GeneratorDriver _warm = null!;

    /// <summary>Builds the compilation, runs the generator once and makes the unrelated edit.</summary>
    [GlobalSetup]
    public void Setup() => (_compilation, _edited, _warm) = Prepare();

    /// <summary>The source of the big trainer, the unrelated file, and the edited unrelated file.</summary>
    /// <param name="memberCount">Members of the trainer.</param>
    /// <param name="eventsPerMember">Events each member subscribes to (the first ones of Composer's order).</param>
    internal static (Compilation Compilation, Compilation Edited, GeneratorDriver Warm) Prepare(int memberCount = 50, int eventsPerMember = 40)
    {
        var members = new StringBuilder("namespace Big;\n");
        for (int i = 0; i < memberCount; i++)
        {
            members.Append($"public sealed class Member{i} : Composer.Core.Algorithm\n{{\n");
            foreach (string e in Enum.GetNames<Composer.Core.Event>().Take(eventsPerMember))
                members.Append($"    [Composer.Core.OnEvent(Composer.Core.Event.{e})] public void On{e}(Composer.Core.State state) {{ }}\n");
            members.Append("}\n");
        }
        members.Append("[Composer.Trainer(").AppendJoin(", ", Enumerable.Range(0, memberCount).Select(i => $"typeof(Member{i})")).Append(")]\n");
        members.Append("public partial class BigTrainer;\n");

        SyntaxTree unrelated = CSharpSyntaxTree.ParseText("namespace Big; static class Helper { public static int F(int x) => 2 * x; }", ParseOptions, "Helper.cs");
        IEnumerable<MetadataReference> references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            // A user's compilation references the runtime, never the generator's own assembly (this host loads it).
            .Where(path => !Path.GetFileName(path).Equals("Composer.Generators.dll", StringComparison.OrdinalIgnoreCase))
            .Append(typeof(Composer.Trainer).Assembly.Location)
            .Append(typeof(TorchSharp.torch).Assembly.Location)
            .Distinct()
            .Select(path => MetadataReference.CreateFromFile(path));
        Compilation compilation = CSharpCompilation.Create("Big",
            [CSharpSyntaxTree.ParseText(members.ToString(), ParseOptions, "Members.cs"), unrelated],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Compilation edited = compilation.ReplaceSyntaxTree(unrelated,
            CSharpSyntaxTree.ParseText(unrelated.ToString().Replace("2 * x", "x + x"), ParseOptions, "Helper.cs"));
        GeneratorDriver warm = NewDriver().RunGenerators(compilation);
        return (compilation, edited, warm);
    }

    internal static GeneratorDriver NewDriver() => CSharpGeneratorDriver.Create(
        [new TrainerGenerator().AsSourceGenerator()],
        parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>A first run: parse the 50 members and write the trainer.</summary>
    [Benchmark(Baseline = true)]
    public GeneratorDriver FirstRun() => NewDriver().RunGenerators(_compilation);

    /// <summary>A run after an unrelated edit, from the first run's cache.</summary>
    [Benchmark]
    public GeneratorDriver AfterUnrelatedEdit() => _warm.RunGenerators(_edited);

    /// <summary>
    /// Counts, in the host, the step outputs that ran again (New or Modified) after the unrelated edit and
    /// the source outputs that were not Cached; 0 means the cache held.
    /// </summary>
    public sealed class RerunColumn() : CustomColumn("Steps rerun",
        "Generator steps and outputs that ran again after an unrelated edit (0: the cache held)", UnitType.Dimensionless)
    {
        private static readonly Lazy<int> Reruns = new(() =>
        {
            (_, Compilation edited, GeneratorDriver warm) = Prepare();
            GeneratorRunResult result = warm.RunGenerators(edited).GetRunResult().Results.Single();
            if (result.GeneratedSources.Length != 2) throw new InvalidOperationException("The generator did not write the trainer's two files.");
            // The generator's own steps; Roslyn's internal ones re-read the edited file by design.
            int steps = new[] { TrainerGenerator.Steps.Specs, TrainerGenerator.Steps.ValidSpecs }
                .SelectMany(name => result.TrackedSteps[name]).SelectMany(s => s.Outputs)
                .Count(o => o.Reason is IncrementalStepRunReason.New or IncrementalStepRunReason.Modified);
            int outputs = result.TrackedOutputSteps.Values.SelectMany(s => s).SelectMany(s => s.Outputs)
                .Count(o => o.Reason != IncrementalStepRunReason.Cached);
            return steps + outputs;
        });

        /// <inheritdoc/>
        public override string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
            benchmarkCase.Descriptor.Type == typeof(GeneratorBenchmarks) && benchmarkCase.Descriptor.WorkloadMethod.Name == nameof(AfterUnrelatedEdit)
                ? Reruns.Value.ToString() : "-";
    }
}

/// <summary>
/// How the generator's time grows with the trainer: 10, 50 and 200 members, each subscribed to 5 events (the issue's
/// scaling table), a first run and a run after an unrelated edit.
/// </summary>
[MemoryDiagnoser]
public class GeneratorScalingBenchmarks
{
    private Compilation _compilation = null!;
    private Compilation _edited = null!;
    private GeneratorDriver _warm = null!;

    /// <summary>Members of the trainer.</summary>
    [Params(10, 50, 200)]
    public int Members { get; set; }

    /// <summary>Builds the compilation and warms the driver.</summary>
    [GlobalSetup]
    public void Setup() => (_compilation, _edited, _warm) = GeneratorBenchmarks.Prepare(Members, eventsPerMember: 5);

    /// <summary>A first run.</summary>
    [Benchmark(Baseline = true)]
    public GeneratorDriver FirstRun() => GeneratorBenchmarks.NewDriver().RunGenerators(_compilation);

    /// <summary>A run after an unrelated edit.</summary>
    [Benchmark]
    public GeneratorDriver AfterUnrelatedEdit() => _warm.RunGenerators(_edited);
}
