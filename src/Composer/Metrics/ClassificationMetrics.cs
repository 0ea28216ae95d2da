using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Metrics;

/// <summary>
/// The F1 score of the positive class (1) of a binary classifier, 2TP / (2TP + FP + FN), as Composer's and torchmetrics'
/// <c>BinaryF1Score</c>; 0 when there are no positives at all. Outputs are [N, 2] class scores (argmax), [N] or
/// [N, 1] probabilities or logits (positive at or above <see cref="BinaryMetric.Threshold"/> after a sigmoid for
/// values outside [0, 1]), or [N] predicted classes.
/// </summary>
public sealed class BinaryF1Score(double threshold = 0.5, long ignoreIndex = -100) : BinaryMetric(threshold, ignoreIndex)
{
    /// <inheritdoc/>
    public override string Name => "BinaryF1Score";

    /// <inheritdoc/>
    protected override double Compute(double[] m) => SafeDivide(2 * m[3], 2 * m[3] + m[1] + m[2]);

    /// <inheritdoc/>
    public override Metric Clone() => new BinaryF1Score(Threshold, IgnoreIndex);
}

/// <summary>The precision of the positive class, TP / (TP + FP); inputs as <see cref="BinaryF1Score"/>'s.</summary>
public sealed class BinaryPrecision(double threshold = 0.5, long ignoreIndex = -100) : BinaryMetric(threshold, ignoreIndex)
{
    /// <inheritdoc/>
    public override string Name => "BinaryPrecision";

    /// <inheritdoc/>
    protected override double Compute(double[] m) => SafeDivide(m[3], m[3] + m[1]);

    /// <inheritdoc/>
    public override Metric Clone() => new BinaryPrecision(Threshold, IgnoreIndex);
}

/// <summary>The recall of the positive class, TP / (TP + FN); inputs as <see cref="BinaryF1Score"/>'s.</summary>
public sealed class BinaryRecall(double threshold = 0.5, long ignoreIndex = -100) : BinaryMetric(threshold, ignoreIndex)
{
    /// <inheritdoc/>
    public override string Name => "BinaryRecall";

    /// <inheritdoc/>
    protected override double Compute(double[] m) => SafeDivide(m[3], m[3] + m[2]);

    /// <inheritdoc/>
    public override Metric Clone() => new BinaryRecall(Threshold, IgnoreIndex);
}

/// <summary>A metric of a binary confusion matrix ([TN, FP, FN, TP] in row-major order).</summary>
public abstract class BinaryMetric(double threshold, long ignoreIndex) : ConfusionMatrixMetric(2, ignoreIndex)
{
    /// <summary>The probability at or above which a sample is predicted positive.</summary>
    public double Threshold { get; } = threshold;

    /// <inheritdoc/>
    protected override Tensor Predictions(Tensor outputs) => BinaryScores.Predicted(outputs, Threshold);
}

/// <summary>How binary metrics read a model's outputs.</summary>
internal static class BinaryScores
{
    /// <summary>The positive class's probability: softmax of [N, 2] scores, else a sigmoid of values outside [0, 1] (torchmetrics' rule).</summary>
    public static Tensor Positive(Tensor outputs)
    {
        if (outputs.dim() == 2 && outputs.shape[1] == 2) return outputs.to(float64).softmax(1).select(1, 1);
        Tensor scores = outputs.reshape(-1).to(float64);
        if (scores.numel() == 0) return scores;
        // Decided on the device, so reading the outputs never waits for it.
        Tensor probabilities = scores.min().ge(0).logical_and(scores.max().le(1));
        return where(probabilities, scores, scores.sigmoid());
    }

    /// <summary>The predicted class (0 or 1).</summary>
    public static Tensor Predicted(Tensor outputs, double threshold)
    {
        if (outputs.dim() == 2 && outputs.shape[1] == 2) return outputs.argmax(1);
        if (!outputs.is_floating_point()) return outputs.reshape(-1).to(int64);
        return Positive(outputs).ge(threshold).to(int64);
    }
}

/// <summary>
/// F1 over several classes, averaged as <see cref="Average"/> says (macro by default, as torchmetrics'
/// <c>MulticlassF1Score</c>); outputs are [N, C] scores or [N] classes.
/// </summary>
public sealed class MulticlassF1Score(int numClasses, Average average = Average.Macro, long ignoreIndex = -100)
    : AveragedMetric(numClasses, average, ignoreIndex)
{
    /// <inheritdoc/>
    public override string Name => "MulticlassF1Score";

    /// <inheritdoc/>
    protected override double Score(double tp, double fp, double fn) => SafeDivide(2 * tp, 2 * tp + fp + fn);

    /// <inheritdoc/>
    public override Metric Clone() => new MulticlassF1Score(NumClasses, Average, IgnoreIndex);
}

/// <summary>Precision over several classes, averaged as <see cref="Average"/> says; inputs as <see cref="MulticlassF1Score"/>'s.</summary>
public sealed class MulticlassPrecision(int numClasses, Average average = Average.Macro, long ignoreIndex = -100)
    : AveragedMetric(numClasses, average, ignoreIndex)
{
    /// <inheritdoc/>
    public override string Name => "MulticlassPrecision";

    /// <inheritdoc/>
    protected override double Score(double tp, double fp, double fn) => SafeDivide(tp, tp + fp);

    /// <inheritdoc/>
    public override Metric Clone() => new MulticlassPrecision(NumClasses, Average, IgnoreIndex);
}

/// <summary>Recall over several classes, averaged as <see cref="Average"/> says; inputs as <see cref="MulticlassF1Score"/>'s.</summary>
public sealed class MulticlassRecall(int numClasses, Average average = Average.Macro, long ignoreIndex = -100)
    : AveragedMetric(numClasses, average, ignoreIndex)
{
    /// <inheritdoc/>
    public override string Name => "MulticlassRecall";

    /// <inheritdoc/>
    protected override double Score(double tp, double fp, double fn) => SafeDivide(tp, tp + fn);

    /// <inheritdoc/>
    public override Metric Clone() => new MulticlassRecall(NumClasses, Average, IgnoreIndex);
}

/// <summary>
/// A score per class from its true and false positives and negatives, combined by <see cref="Average"/>: the micro
/// score is the same formula on the counts summed over classes.
/// </summary>
public abstract class AveragedMetric(int numClasses, Average average, long ignoreIndex) : ConfusionMatrixMetric(numClasses, ignoreIndex)
{
    /// <summary>How the classes' scores combine.</summary>
    public Average Average { get; } = average;

    /// <summary>The score of one class (or of the summed counts).</summary>
    protected abstract double Score(double tp, double fp, double fn);

    /// <inheritdoc/>
    protected override double Compute(double[] matrix)
    {
        var (tp, fp, fn, support) = Counts(matrix);
        double[] perClass = [.. tp.Select((t, i) => Score(t, fp[i], fn[i]))];
        return Combine(Average, perClass, support, tp, fp, fn, Score(tp.Sum(), fp.Sum(), fn.Sum()));
    }
}

/// <summary>
/// Matthews correlation coefficient (torchmetrics' <c>MatthewsCorrCoef</c>, sklearn's <c>matthews_corrcoef</c>), binary or
/// multiclass, from the confusion matrix; 0 when it is undefined (a constant prediction or target). For binary outputs
/// as <see cref="BinaryF1Score"/> reads them, use <c>numClasses: 2</c>.
/// </summary>
public sealed class MatthewsCorrCoef(int numClasses, double threshold = 0.5, long ignoreIndex = -100) : ConfusionMatrixMetric(numClasses, ignoreIndex)
{
    /// <summary>The probability at or above which a sample is positive, for binary probabilities or logits.</summary>
    public double Threshold { get; } = threshold;

    /// <inheritdoc/>
    public override string Name => "MatthewsCorrCoef";

    /// <inheritdoc/>
    protected override Tensor Predictions(Tensor outputs) => NumClasses == 2 ? BinaryScores.Predicted(outputs, Threshold) : base.Predictions(outputs);

    /// <inheritdoc/>
    protected override double Compute(double[] matrix)
    {
        int c = NumClasses;
        double samples = matrix.Sum(), correct = Enumerable.Range(0, c).Sum(i => matrix[i * c + i]);
        double[] predicted = [.. Enumerable.Range(0, c).Select(p => Enumerable.Range(0, c).Sum(t => matrix[t * c + p]))];
        double[] actual = [.. Enumerable.Range(0, c).Select(t => Enumerable.Range(0, c).Sum(p => matrix[t * c + p]))];
        double covariance = correct * samples - predicted.Zip(actual, (p, t) => p * t).Sum();
        double denominator = Math.Sqrt((samples * samples - predicted.Sum(p => p * p)) * (samples * samples - actual.Sum(t => t * t)));
        return SafeDivide(covariance, denominator);
    }

    /// <inheritdoc/>
    public override Metric Clone() => new MatthewsCorrCoef(NumClasses, Threshold, IgnoreIndex);
}
