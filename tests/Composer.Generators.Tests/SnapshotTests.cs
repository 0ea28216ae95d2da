using Microsoft.CodeAnalysis;

namespace Composer.Generators.Tests;

/// <summary>
/// The generated source, compared exactly with the approved file in Snapshots/. When a change to the
/// generator is intended, rerun with COMPOSER_APPROVE_SNAPSHOTS=1 to approve the new text, and review the diff.
/// </summary>
public class SnapshotTests
{
    [TestCase(nameof(Sources.QuickStart), "QuickStart.QuickStartTrainer.g.cs")]
    [TestCase(nameof(Sources.Empty), "BareTrainer.g.cs")]
    [TestCase(nameof(Sources.Layered), "Layered.Training.LayeredTrainer.g.cs")]
    [TestCase(nameof(Sources.Ordered), "Ordered.OrderedTrainer.g.cs")]
    public void GeneratedTrainerMatchesTheApprovedSnapshot(string sourceName, string hintName)
    {
        string source = (string)typeof(Sources).GetField(sourceName)!.GetValue(null)!;
        var (generated, output) = GeneratorHarness.Generate(source);

        Assert.That(generated.Select(g => g.HintName), Is.EqualTo(new[] { hintName }), "one file per trainer, named after it");
        Assert.That(GeneratorHarness.CompilerProblems(output), Is.Empty, "the generated trainer compiles cleanly, crefs included");
        Verify(generated[0].SourceText.ToString(), sourceName);
    }

    private static void Verify(string actual, string name)
    {
        string folder = Path.Combine(RepositoryRoot(), "tests", "Composer.Generators.Tests", "Snapshots");
        string approved = Path.Combine(folder, name + ".verified.cs");
        string received = Path.Combine(folder, name + ".received.cs");

        if (Environment.GetEnvironmentVariable("COMPOSER_APPROVE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(approved, actual);
            File.Delete(received);
            Assert.Pass($"approved {approved}");
        }

        string expected = File.Exists(approved) ? File.ReadAllText(approved) : "";
        if (expected == actual)
        {
            File.Delete(received);
            return;
        }
        File.WriteAllText(received, actual);
        Assert.Fail($"The generated source differs from {approved}. Compare it with {received}; if the change is intended, " +
                    "rerun the tests with COMPOSER_APPROVE_SNAPSHOTS=1 and commit the approved file.");
    }

    // Not [CallerFilePath]: CI builds map source paths to /_/ for determinism.
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Composer.Generators.sln")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"No Composer.Generators.sln above {AppContext.BaseDirectory}; run the tests from the repository.");
    }
}
