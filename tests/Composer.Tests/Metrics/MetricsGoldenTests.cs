using System.Text.Json;
using Composer.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Metrics;

/// <summary>
/// Each metric against scikit-learn on the same inputs (Golden/make_metrics_golden.py wrote them with Debian's
/// python3-sklearn), fed in batches as a trainer would.
/// </summary>
public class MetricsGoldenTests
{
    private static readonly JsonElement[] Cases = Load();

    private static JsonElement[] Load()
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "Golden", "metrics-golden.json")));
        return [.. json.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone())];
    }

    private static IEnumerable<TestCaseData> Named() => Cases.Select(c => new TestCaseData(c).SetArgDisplayNames(c.GetProperty("name").GetString()!));

    [TestCaseSource(nameof(Named))]
    public void AgreesWithScikitLearn(JsonElement golden)
    {
        using var scope = NewDisposeScope();
        long[] outputShape = [.. golden.GetProperty("outputs_shape").EnumerateArray().Select(d => d.GetInt64())];
        long[] targetShape = [.. golden.GetProperty("targets_shape").EnumerateArray().Select(d => d.GetInt64())];
        Tensor outputs = tensor(Flatten(golden.GetProperty("outputs")).ToArray(), outputShape);
        Tensor targets = tensor(golden.GetProperty("targets").EnumerateArray().Select(t => t.GetInt64()).ToArray(), targetShape);
        using Metric metric = Create(golden.GetProperty("metric").GetString()!, golden.GetProperty("args"));

        int batches = golden.GetProperty("batches").GetInt32();
        long size = outputShape[0] / batches;
        for (int b = 0; b < batches; b++)
            metric.Update(outputs.narrow(0, b * size, b == batches - 1 ? outputShape[0] - b * size : size),
                targets.narrow(0, b * size, b == batches - 1 ? targetShape[0] - b * size : size));

        double expected = golden.GetProperty("expected").GetDouble();
        Assert.That(metric.Compute(), Is.EqualTo(expected).Within(1e-6 * Math.Max(1, Math.Abs(expected))));
        // A clone starts empty with the same settings, and Reset empties the original.
        using Metric clone = metric.Clone();
        Assert.That(clone.GetType(), Is.EqualTo(metric.GetType()));
        metric.Reset();
        metric.Update(outputs, targets);
        clone.Update(outputs, targets);
        Assert.That(clone.Compute(), Is.EqualTo(metric.Compute()));
    }

    private static IEnumerable<double> Flatten(JsonElement value) =>
        value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().SelectMany(Flatten) : [value.GetDouble()];

    private static Metric Create(string name, JsonElement args)
    {
        int Classes() => args.GetProperty("numClasses").GetInt32();
        Average Averaged() => Enum.Parse<Average>(args.GetProperty("average").GetString()!, ignoreCase: true);
        return name switch
        {
            "BinaryF1Score" => new BinaryF1Score(),
            "BinaryPrecision" => new BinaryPrecision(),
            "BinaryRecall" => new BinaryRecall(),
            "BinaryAUROC" => new BinaryAUROC(),
            "MatthewsCorrCoef" => new MatthewsCorrCoef(Classes()),
            "MulticlassF1Score" => new MulticlassF1Score(Classes(), Averaged()),
            "MulticlassPrecision" => new MulticlassPrecision(Classes(), Averaged()),
            "MulticlassRecall" => new MulticlassRecall(Classes(), Averaged()),
            "MulticlassAUROC" => new MulticlassAUROC(Classes()),
            "CrossEntropy" => new CrossEntropy(),
            "LanguageCrossEntropy" => new LanguageCrossEntropy(),
            "LanguagePerplexity" => new LanguagePerplexity(),
            "MaskedAccuracy" => new MaskedAccuracy(),
            "MIoU" => new MIoU(Classes()),
            "Dice" => new Dice(Classes()),
            _ => throw new ArgumentException($"No metric {name} in the golden file's list."),
        };
    }
}
