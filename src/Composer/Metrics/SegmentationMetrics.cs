using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Metrics;

/// <summary>
/// Composer's <c>MIoU</c>: per class, the pixels where prediction and target agree over the pixels where either has the
/// class, summed over all images, then the mean over classes that occurred, times 100. Outputs are [N, C, ...] logits,
/// targets [N, ...] class indices; targets equal to <see cref="IgnoreIndex"/> are left out.
/// </summary>
public sealed class MIoU(int numClasses, long ignoreIndex = -1) : SumMetric(2, numClasses)
{
    /// <summary>The number of classes.</summary>
    public int NumClasses { get; } = numClasses;

    /// <summary>Target pixels not counted (-1 by default, as Composer's).</summary>
    public long IgnoreIndex { get; } = ignoreIndex;

    /// <inheritdoc/>
    public override string Name => "MIoU";

    /// <inheritdoc/>
    public override void Update(Tensor outputs, Tensor targets)
    {
        using var scope = NewDisposeScope();
        Tensor predicted = outputs.argmax(1).reshape(-1);
        Tensor labels = targets.reshape(-1).to(int64);
        Tensor kept = labels.ne(IgnoreIndex);
        predicted = predicted.masked_select(kept);
        labels = labels.masked_select(kept);
        Tensor intersect = predicted.masked_select(predicted.eq(labels)).bincount(null, NumClasses).narrow(0, 0, NumClasses);
        Tensor union = predicted.bincount(null, NumClasses).narrow(0, 0, NumClasses)
            + labels.bincount(null, NumClasses).narrow(0, 0, NumClasses) - intersect;
        Add(stack([intersect, union]));
    }

    /// <inheritdoc/>
    protected override double Compute(double[] sums)
    {
        var ious = Enumerable.Range(0, NumClasses).Where(c => sums[NumClasses + c] != 0).Select(c => sums[c] / sums[NumClasses + c]).ToList();
        return ious.Count == 0 ? 0 : 100 * ious.Average();
    }

    /// <inheritdoc/>
    public override Metric Clone() => new MIoU(NumClasses, IgnoreIndex);
}

/// <summary>
/// Composer's <c>Dice</c>: for each class but the background (0), 2TP / (2TP + FP + FN) of the batch, or when the class is
/// absent from the targets 1 if it is also absent from the predictions (else 0); averaged over updates, then over classes,
/// times 100, rounded to two decimals. Outputs are [N, C, ...] scores, targets [N, ...] class indices.
/// </summary>
public sealed class Dice(int numClasses) : SumMetric(numClasses)
{
    /// <summary>The number of classes, the background included.</summary>
    public int NumClasses { get; } = numClasses >= 2 ? numClasses : throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "Dice needs a background and at least one class.");

    /// <inheritdoc/>
    public override string Name => "Dice";

    /// <inheritdoc/>
    public override void Update(Tensor outputs, Tensor targets)
    {
        using var scope = NewDisposeScope();
        Tensor predicted = outputs.argmax(1);
        var scores = new List<Tensor>(NumClasses);
        for (int c = 1; c < NumClasses; c++)
        {
            Tensor isPredicted = predicted.eq(c), isTarget = targets.eq(c);
            Tensor tp = isPredicted.logical_and(isTarget).sum().to(float64);
            Tensor wrong = isPredicted.logical_xor(isTarget).sum().to(float64);
            Tensor denominator = 2 * tp + wrong;
            Tensor score = where(denominator.gt(0), 2 * tp / denominator.clamp_min(1), zeros_like(tp));
            // A class the targets lack scores 1 when the predictions lack it too.
            Tensor absent = isTarget.any().logical_not();
            scores.Add(where(absent, isPredicted.any().logical_not().to(float64), score));
        }
        // The last entry counts the updates.
        scores.Add(ones(1, float64, outputs.device).squeeze());
        Add(stack(scores));
    }

    /// <inheritdoc/>
    protected override double Compute(double[] sums)
    {
        double updates = sums[NumClasses - 1];
        if (updates == 0) return 0;
        double mean = sums.Take(NumClasses - 1).Select(s => 100 * s / updates).Average();
        return Math.Round(mean, 2);
    }

    /// <inheritdoc/>
    public override Metric Clone() => new Dice(NumClasses);
}
