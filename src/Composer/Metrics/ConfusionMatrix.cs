using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Metrics;

/// <summary>How per-class scores combine into one number, as torchmetrics' and sklearn's <c>average</c>.</summary>
public enum Average
{
    /// <summary>The unweighted mean over the classes that occur (in the targets or the predictions).</summary>
    Macro,
    /// <summary>From the true and false positives and negatives summed over classes (accuracy, for single-label data).</summary>
    Micro,
    /// <summary>The mean over classes weighted by each class's number of targets.</summary>
    Weighted,
}

/// <summary>
/// The confusion matrix (rows: target class, columns: predicted class) that F1, precision, recall and Matthews
/// correlation are computed from; targets equal to the ignore index are left out.
/// </summary>
public abstract class ConfusionMatrixMetric : SumMetric
{
    /// <summary>A matrix for <paramref name="numClasses"/> classes.</summary>
    protected ConfusionMatrixMetric(int numClasses, long ignoreIndex) : base(numClasses, numClasses)
    {
        if (numClasses < 2) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A classification metric needs at least two classes.");
        NumClasses = numClasses;
        IgnoreIndex = ignoreIndex;
    }

    /// <summary>The number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>Targets with this value are not counted (-100 by default, Hugging Face's padding label).</summary>
    public long IgnoreIndex { get; }

    /// <summary>
    /// Adds a batch: <paramref name="outputs"/> are [N, C] class scores (their argmax is the prediction) or [N] predicted
    /// classes; <paramref name="targets"/> are [N] class indices.
    /// </summary>
    public override void Update(Tensor outputs, Tensor targets)
    {
        using var scope = NewDisposeScope();
        Tensor predicted = Predictions(outputs).reshape(-1);
        Tensor labels = targets.reshape(-1).to(int64);
        if (predicted.shape[0] != labels.shape[0])
            throw new ArgumentException($"{Name}: {predicted.shape[0]} predictions but {labels.shape[0]} targets.", nameof(targets));
        Tensor kept = labels.ne(IgnoreIndex);
        predicted = predicted.masked_select(kept);
        labels = labels.masked_select(kept);
        Tensor cells = labels * NumClasses + predicted;
        Add(cells.bincount(null, NumClasses * NumClasses));
    }

    /// <summary>The predicted class of each sample.</summary>
    protected virtual Tensor Predictions(Tensor outputs) => outputs.dim() >= 2 ? outputs.argmax(1) : outputs.to(int64);

    /// <summary>True positives, false positives, false negatives and support of each class, from the matrix.</summary>
    protected (double[] Tp, double[] Fp, double[] Fn, double[] Support) Counts(double[] matrix)
    {
        int c = NumClasses;
        var (tp, fp, fn, support) = (new double[c], new double[c], new double[c], new double[c]);
        for (int target = 0; target < c; target++)
            for (int predicted = 0; predicted < c; predicted++)
            {
                double n = matrix[target * c + predicted];
                support[target] += n;
                if (target == predicted) tp[target] += n;
                else
                {
                    fn[target] += n;
                    fp[predicted] += n;
                }
            }
        return (tp, fp, fn, support);
    }

    /// <summary>Combines per-class scores by <paramref name="average"/>, the micro score given.</summary>
    protected static double Combine(Average average, double[] perClass, double[] support, double[] tp, double[] fp, double[] fn, double micro) =>
        average switch
        {
            Average.Micro => micro,
            Average.Weighted => SafeDivide(perClass.Zip(support, (s, w) => s * w).Sum(), support.Sum()),
            // Classes that occur neither in the targets nor in the predictions are left out, as torchmetrics and sklearn do.
            _ => Enumerable.Range(0, perClass.Length).Where(i => tp[i] + fp[i] + fn[i] > 0).Select(i => perClass[i]).DefaultIfEmpty(0).Average(),
        };
}
