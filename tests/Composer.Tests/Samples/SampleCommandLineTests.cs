using System.Diagnostics;

namespace Composer.Tests.Samples;

/// <summary>
/// The samples' command lines (System.CommandLine): <c>--help</c> lists the flags and exits 0, and a flag that does
/// not parse is a message and exit code 1, never a stack trace. The samples are built beside the tests.
/// </summary>
public class SampleCommandLineTests
{
    /// <summary>The sample program <paramref name="name"/>, built beside the tests.</summary>
    internal static string Sample(string name) => Path.Combine(
        AppContext.BaseDirectory.Replace(Path.Combine("tests", "Composer.Tests"), Path.Combine("samples", name), StringComparison.Ordinal),
        $"{name}.dll");

    private static (int ExitCode, string Output) Run(string sample, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Sample(sample));
        foreach (string a in args) start.ArgumentList.Add(a);
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(), errors = process.StandardError.ReadToEndAsync();
        Assert.That(process.WaitForExit(TimeSpan.FromMinutes(1)), Is.True, $"{sample} {string.Join(" ", args)} finished");
        return (process.ExitCode, output.Result + errors.Result);
    }

    [TestCase("Mnist", "--recipe", "--seeds", "--wandb", "--mlflow", "--monitors", "--precision", "--channels-last")]
    [TestCase("TextClassification", "--recipe", "--epochs", "--max-tokens", "--precision")]
    [TestCase("QuickStart", "--epochs")]
    [TestCase("FineTune", "--init", "--pair", "--duration", "--max-tokens", "--precision")]
    [TestCase("TextGeneration", "--batches", "--context", "--alibi", "--greedy", "--precision")]
    public void HelpListsTheFlagsAndExitsZero(string sample, params string[] flags)
    {
        Assert.That(File.Exists(Sample(sample)), Is.True, $"{sample} is built beside the tests");
        (int exitCode, string output) = Run(sample, "--help");
        Assert.That(exitCode, Is.EqualTo(0), output);
        foreach (string flag in flags) Assert.That(output, Does.Contain(flag));
    }

    [TestCase("Mnist", "--recipe", "nope", "Unknown recipe nope")]
    [TestCase("Mnist", "--seeds", "a,b", "--seeds takes whole numbers")]
    [TestCase("TextClassification", "--recipe", "other", "Argument 'other' not recognized")]
    [TestCase("TextClassification", "--epochs", "0", "--epochs must be at least 1")]
    [TestCase("TextClassification", "--epochs", "x", "Cannot parse argument 'x'")]
    [TestCase("QuickStart", "--epochs", "x", "Cannot parse argument 'x'")]
    [TestCase("FineTune", "--init", "random", "Argument 'random' not recognized")]
    [TestCase("FineTune", "--max-tokens", "600", "--max-tokens is at most 512")]
    [TestCase("FineTune", "--duration", "3xy", "--duration:")]
    [TestCase("TextGeneration", "--batches", "0", "--batches must be at least 1")]
    [TestCase("TextGeneration", "--precision", "fp8", "Argument 'fp8' not recognized")]
    public void ABadFlagIsAMessageAndExitCodeOneWithoutAStackTrace(string sample, string flag, string value, string message)
    {
        (int exitCode, string output) = Run(sample, flag, value);
        Assert.That(exitCode, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain(message).And.Not.Contain("   at "));
    }

    [Test]
    public void FineTuneConvertsMiniLMAndReportsAccuracyAndF1()
    {
        string cache = Path.Combine(Path.GetTempPath(), "composer-finetune-" + Guid.NewGuid().ToString("N"));
        try
        {
            // Two batches of messages cut to 16 tokens: the whole path, converter to metrics, in seconds.
            (int exitCode, string output) = Run("FineTune", "--duration", "2ba", "--max-tokens", "16", "--cache", cache);
            Assert.That(exitCode, Is.EqualTo(0), output);
            Assert.That(output, Does.Contain("newly initialized: [classifier.weight, classifier.bias]"));
            Assert.That(output, Does.Match(@"RESULT init=pretrained pair=False seed=1 accuracy=0\.\d{4} f1=\d\.\d{4} seconds="));
            Assert.That(Directory.GetFiles(cache).Select(Path.GetFileName), Is.EquivalentTo(new[] { "config.json", "model.safetensors", "vocab.txt" }));
        }
        finally
        {
            if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
        }
    }

    [Test]
    public void TextGenerationTrainsTheGptAndPrintsPerplexityAndGenerations()
    {
        // With ALiBi, in bfloat16 mixed precision.
        (int exitCode, string output) = Run("TextGeneration", "--batches", "20", "--alibi", "--precision", "amp_bf16");
        Assert.That(exitCode, Is.EqualTo(0), output);
        Assert.That(output, Does.Match(@"20 batches in \d+ s: held-out perplexity \d+\.\d{2} \(uniform guessing: \d+\)"));
        foreach (string prompt in new[] { "Re: |", "Subject: Free |", "Dear friend,|" }) Assert.That(output, Does.Contain(prompt));
    }
}
