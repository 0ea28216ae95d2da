using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Composer.Generators.Tests;

/// <summary>
/// Every C# sample in the README and in docs/*.md compiles as the single file a reader would paste, with the generator
/// and the analyzer running: no errors and no warnings. An excerpt of generated code is marked as one and skipped.
/// </summary>
public partial class ReadmeSamplesTests
{
    private const string ExcerptMarker = "<!-- excerpt of generated code: not compiled on its own -->";

    /// <summary>The README and every page of docs/, by path from the repository's root.</summary>
    public static IEnumerable<string> Documents()
    {
        string root = SnapshotTests.RepositoryRoot();
        yield return "README.md";
        foreach (string page in Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Order(StringComparer.Ordinal))
            yield return Path.GetRelativePath(root, page).Replace('\\', '/');
    }

    public static IEnumerable<TestCaseData> Samples() => Documents().SelectMany(SamplesOf);

    private static IEnumerable<TestCaseData> SamplesOf(string document)
    {
        string text = File.ReadAllText(Path.Combine(SnapshotTests.RepositoryRoot(), document));
        foreach (Match block in CSharpBlock().Matches(text))
        {
            int line = text[..block.Index].Count(c => c == '\n') + 1;
            bool excerpt = text[..block.Index].TrimEnd().EndsWith(ExcerptMarker, StringComparison.Ordinal);
            if (!excerpt)
                yield return new TestCaseData(block.Groups["code"].Value).SetName($"{document} sample at line {line}");
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
    public void TheReadmeAndTheDocsHaveSamplesToCompile()
    {
        Assert.That(SamplesOf("README.md").Count(), Is.GreaterThanOrEqualTo(2), "the README's own samples");
        Assert.That(Documents(), Has.Member("docs/training.md").And.Member("docs/checkpoints.md"), "docs/ is read");
        Assert.That(Samples().Count(), Is.GreaterThanOrEqualTo(6));
    }

    [GeneratedRegex(@"^```csharp\n(?<code>.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CSharpBlock();
}
