using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Composer.Generators.Tests;

/// <summary>The pipeline's cache: an unrelated edit reruns nothing, and no step keeps a symbol or syntax node alive.</summary>
public class IncrementalTests
{
    private static readonly string[] TrackedSteps = [TrainerGenerator.Steps.Specs, TrainerGenerator.Steps.ValidSpecs];

    private static GeneratorRunResult RunTwice(Func<Compilation, Compilation> edit)
    {
        Compilation first = GeneratorHarness.Compile(Sources.QuickStart, Sources.Unrelated);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(first);
        driver = driver.RunGenerators(edit(first));
        return driver.GetRunResult().Results.Single();
    }

    private static Compilation EditUnrelatedFile(Compilation compilation)
    {
        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.ToString().Contains("class Helper"));
        SyntaxTree edited = CSharpSyntaxTree.ParseText(
            Sources.Unrelated.Replace("2 * x", "x + x"), (CSharpParseOptions)old.Options, old.FilePath);
        return compilation.ReplaceSyntaxTree(old, edited);
    }

    [Test]
    public void UnrelatedEditLeavesEveryTrackedStepCachedOrUnchanged()
    {
        GeneratorRunResult result = RunTwice(EditUnrelatedFile);

        foreach (string step in TrackedSteps)
        {
            var reasons = result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
            Assert.That(reasons, Is.Not.Empty, step);
            Assert.That(reasons, Is.All.EqualTo(IncrementalStepRunReason.Cached).Or.EqualTo(IncrementalStepRunReason.Unchanged), step);
        }
        var sourceOutputs = result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).Select(o => o.Reason);
        Assert.That(sourceOutputs, Is.All.EqualTo(IncrementalStepRunReason.Cached), "the file is not written again");
    }

    [Test]
    public void AddingAnUnrelatedFileLeavesEveryTrackedStepCachedOrUnchanged()
    {
        GeneratorRunResult result = RunTwice(c => c.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Another { }",
            (CSharpParseOptions)c.SyntaxTrees.First().Options)));

        foreach (string step in TrackedSteps)
            Assert.That(result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason),
                Is.All.EqualTo(IncrementalStepRunReason.Cached).Or.EqualTo(IncrementalStepRunReason.Unchanged), step);
    }

    [Test]
    public void SubscribingANewMethodRegeneratesTheTrainer()
    {
        GeneratorRunResult result = RunTwice(compilation =>
        {
            SyntaxTree old = compilation.SyntaxTrees.Single(t => t.ToString().Contains("class LossPrinter"));
            string source = Sources.QuickStart.Replace(
                "public void PrintEpoch(State state) { }",
                "public void PrintEpoch(State state) { }\n\n    [OnEvent(Event.FitEnd)]\n    public void Done(State state) { }");
            return compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(source, (CSharpParseOptions)old.Options, old.FilePath));
        });

        Assert.That(result.TrackedSteps[TrainerGenerator.Steps.ValidSpecs].SelectMany(s => s.Outputs).Select(o => o.Reason),
            Has.Some.EqualTo(IncrementalStepRunReason.Modified));
        Assert.That(result.GeneratedSources.First().SourceText.ToString(), Does.Contain("_lossPrinter.Done(state);"));
    }

    [Test]
    public void NoStepOutputHoldsASymbolSyntaxNodeOrCompilation()
    {
        GeneratorRunResult result = RunTwice(EditUnrelatedFile);
        foreach (string step in TrackedSteps)
            foreach (var output in result.TrackedSteps[step].SelectMany(s => s.Outputs))
                AssertHoldsNoRoslynObjects(output.Value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
    }

    private static void AssertHoldsNoRoslynObjects(object? value, string path, HashSet<object> visited)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return;
        if (!value.GetType().IsValueType && !visited.Add(value)) return;
        Assert.That(value, Is.Not.InstanceOf<Compilation>().And.Not.InstanceOf<ISymbol>().And.Not.InstanceOf<SyntaxNode>()
            .And.Not.InstanceOf<SemanticModel>().And.Not.InstanceOf<Location>(), path);

        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (object? item in items) AssertHoldsNoRoslynObjects(item, $"{path}[{i++}]", visited);
        }
        foreach (FieldInfo field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            AssertHoldsNoRoslynObjects(field.GetValue(value), $"{path}.{field.Name}", visited);
    }
}
