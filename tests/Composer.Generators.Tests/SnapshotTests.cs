using Microsoft.CodeAnalysis;

namespace Composer.Generators.Tests;

/// <summary>
/// The generated source, compared exactly with the approved file in Snapshots/. When a change to the
/// generator is intended, rerun with COMPOSER_APPROVE_SNAPSHOTS=1 to approve the new text, and review the diff.
/// </summary>
public class SnapshotTests
{
    [TestCase(nameof(Sources.QuickStart), "QuickStart.QuickStartTrainer")]
    [TestCase(nameof(Sources.Empty), "BareTrainer")]
    [TestCase(nameof(Sources.Layered), "Layered.Training.LayeredTrainer")]
    [TestCase(nameof(Sources.Ordered), "Ordered.OrderedTrainer")]
    public void GeneratedTrainerMatchesTheApprovedSnapshot(string sourceName, string trainer)
    {
        string source = (string)typeof(Sources).GetField(sourceName)!.GetValue(null)!;
        var (generated, output) = GeneratorHarness.Generate(source);

        Assert.That(generated.Select(g => g.HintName), Is.EqualTo(new[] { trainer + ".g.cs", trainer + ".Schedule.g.cs" }),
            "two files per trainer, named after it: the loop and its schedule");
        Assert.That(GeneratorHarness.CompilerProblems(output), Is.Empty, "the generated trainer compiles cleanly, crefs included");
        Verify(generated[0].SourceText.ToString(), sourceName);
        Verify(generated[1].SourceText.ToString(), sourceName + ".Schedule");
        foreach (GeneratedSourceResult file in generated)
        {
            string[] lines = file.SourceText.ToString().Split('\n');
            Assert.That(lines.Where(l => l.Length > 120 && !l.Contains("<see cref=", StringComparison.Ordinal)), Is.Empty,
                $"{file.HintName}: lines fit a screen (a long cref to a generic member may not)");
            Assert.That(lines.Where(l => l.Contains("GeneratedCode", StringComparison.Ordinal) || l.Contains("0.1.0", StringComparison.Ordinal)), Is.Empty,
                "no version number, so a release does not change every snapshot");
        }
    }

    [Test]
    public void AnAlgorithmInAnotherFileGivesTheSameTrainer()
    {
        int split = Sources.QuickStart.IndexOf("[Trainer(", StringComparison.Ordinal);
        string usings = Sources.QuickStart[..Sources.QuickStart.IndexOf("public sealed class", StringComparison.Ordinal)];
        var (apart, output) = GeneratorHarness.Generate(Sources.QuickStart[..split], usings + Sources.QuickStart[split..]);
        var (together, _) = GeneratorHarness.Generate(Sources.QuickStart);

        Assert.That(GeneratorHarness.CompilerProblems(output), Is.Empty);
        Assert.That(apart.Select(g => g.SourceText.ToString()), Is.EqualTo(together.Select(g => g.SourceText.ToString())));
    }

    [Test]
    public void CheckpointedFieldsGiveAnIStatefulImplementation()
    {
        const string source = """
            using System.Collections.Generic;
            using Composer.Core;
            using TorchSharp;

            namespace Counting;

            public enum Phase { Warm, Hot }

            /// <summary>Counts batches.</summary>
            public sealed partial class Counter : Callback
            {
                [Checkpointed] private long _batches;
                [Checkpointed] private bool _seen;
                [Checkpointed] private Phase _phase;
                [Checkpointed] private string _name = "";
                [Checkpointed] private torch.Tensor? _total;
                [Checkpointed] private float[] _losses = [];
                [Checkpointed] private string[] _tags = [];
                [Checkpointed] private List<torch.Tensor> _kept = [];
                private int _notKept;

                /// <summary>Counts.</summary>
                [OnEvent(Event.BatchEnd)]
                public void Count(State state) { _batches++; _seen = true; _phase = Phase.Hot; _name = "n"; _notKept++; }
            }
            """;
        var (generated, output) = GeneratorHarness.Generate(source);
        Assert.That(generated.Select(g => g.HintName), Is.EqualTo(new[] { "Counting.Counter.Checkpointed.g.cs" }));
        Assert.That(GeneratorHarness.CompilerProblems(output), Is.Empty);
        string text = generated[0].SourceText.ToString();
        Assert.That(text, Does.Not.Contain("_notKept"), "only [Checkpointed] fields are stored");
        Verify(text, "Checkpointed");
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
            TestContext.Out.WriteLine($"approved {approved}");
            return;
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
    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Composer.Generators.sln")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"No Composer.Generators.sln above {AppContext.BaseDirectory}; run the tests from the repository.");
    }
}
