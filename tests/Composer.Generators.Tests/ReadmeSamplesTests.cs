using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Composer.Generators.Tests;

/// <summary>
/// Every C# sample in the README compiles as the single file a reader would paste, with the generator and the
/// analyzer running: no errors and no warnings. An excerpt of generated code is marked as one and skipped.
/// </summary>
public partial class ReadmeSamplesTests
{
    private const string ExcerptMarker = "<!-- excerpt of generated code: not compiled on its own -->";

    public static IEnumerable<TestCaseData> Samples()
    {
        string readme = File.ReadAllText(Path.Combine(SnapshotTests.RepositoryRoot(), "README.md"));
        foreach (Match block in CSharpBlock().Matches(readme))
        {
            int line = readme[..block.Index].Count(c => c == '\n') + 1;
            bool excerpt = readme[..block.Index].TrimEnd().EndsWith(ExcerptMarker, StringComparison.Ordinal);
            if (!excerpt)
                yield return new TestCaseData(block.Groups["code"].Value).SetName($"README sample at line {line}");
        }
    }

    [TestCaseSource(nameof(Samples))]
    public void CompilesAsOneFile(string code)
    {
        bool topLevel = CSharpSyntaxTree.ParseText(code).GetRoot().DescendantNodes().OfType<GlobalStatementSyntax>().Any();
        var problems = GeneratorHarness.CompileWithGenerator(topLevel ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, code);
        Assert.That(problems, Is.Empty, string.Join("\n", problems));
    }

    [Test]
    public void TheReadmeHasSamplesToCompile() => Assert.That(Samples().Count(), Is.GreaterThanOrEqualTo(6));

    [GeneratedRegex(@"^```csharp\n(?<code>.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CSharpBlock();
}
