using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Metrics;

/// <summary>
/// The area under the ROC curve of a binary classifier, exact (torchmetrics' <c>BinaryAUROC</c> without thresholds,
/// sklearn's <c>roc_auc_score</c>): the probability that a random positive scores above a random negative, ties counted
/// half. Keeps every score; outputs are read as <see cref="BinaryF1Score"/> reads them.
/// </summary>
public sealed class BinaryAUROC(long ignoreIndex = -100) : ScoreListMetric(1, ignoreIndex)
{
    /// <inheritdoc/>
    public override string Name => "BinaryAUROC";

    /// <inheritdoc/>
    protected override Tensor Scores(Tensor outputs) => BinaryScores.Positive(outputs).unsqueeze(1);

    /// <inheritdoc/>
    protected override double Compute(double[] scores, long[] targets) => Auc.Of(scores, targets.Select(t => t == 1).ToArray());

    /// <inheritdoc/>
    public override Metric Clone() => new BinaryAUROC(IgnoreIndex);
}

/// <summary>
/// One-vs-rest AUROC over several classes from the softmax of [N, C] scores, the unweighted mean over classes
/// (torchmetrics' <c>MulticlassAUROC</c>, sklearn's <c>roc_auc_score(multi_class="ovr", average="macro")</c>).
/// </summary>
public sealed class MulticlassAUROC(int numClasses, long ignoreIndex = -100) : ScoreListMetric(numClasses, ignoreIndex)
{
    /// <inheritdoc/>
    public override string Name => "MulticlassAUROC";

    /// <inheritdoc/>
    protected override Tensor Scores(Tensor outputs) => outputs.to(float64).softmax(1);

    /// <inheritdoc/>
    protected override double Compute(double[] scores, long[] targets)
    {
        int c = Width;
        return Enumerable.Range(0, c)
            .Where(k => targets.Contains(k) && targets.Any(t => t != k))
            .Select(k => Auc.Of([.. Enumerable.Range(0, targets.Length).Select(i => scores[i * c + k])], [.. targets.Select(t => t == k)]))
            .DefaultIfEmpty(0)
            .Average();
    }

    /// <inheritdoc/>
    public override Metric Clone() => new MulticlassAUROC(Width, IgnoreIndex);
}

/// <summary>A metric that keeps every sample's scores and target (torchmetrics' list states), gathered from every rank to synchronize.</summary>
public abstract class ScoreListMetric : Metric
{
    private readonly List<Tensor> _scores = [];
    private readonly List<Tensor> _targets = [];

    /// <summary>Keeps <paramref name="width"/> scores per sample.</summary>
    protected ScoreListMetric(int width, long ignoreIndex)
    {
        Width = width;
        IgnoreIndex = ignoreIndex;
    }

    /// <summary>Scores kept per sample.</summary>
    protected int Width { get; }

    /// <summary>Targets with this value are not kept.</summary>
    public long IgnoreIndex { get; }

    /// <summary>The [N, <see cref="Width"/>] scores of a batch's outputs.</summary>
    protected abstract Tensor Scores(Tensor outputs);

    /// <summary>The metric from every kept score (row-major, <see cref="Width"/> per sample) and target.</summary>
    protected abstract double Compute(double[] scores, long[] targets);

    /// <inheritdoc/>
    public override void Update(Tensor outputs, Tensor targets)
    {
        using var scope = NewDisposeScope();
        Tensor scores = Scores(outputs).reshape(-1, Width);
        Tensor labels = targets.reshape(-1).to(int64);
        Tensor kept = labels.ne(IgnoreIndex);
        _scores.Add(scores.index(kept).detach().DetachFromDisposeScope());
        _targets.Add(labels.masked_select(kept).DetachFromDisposeScope());
    }

    /// <inheritdoc/>
    public override double Compute()
    {
        if (_targets.Count == 0) return 0;
        using var scope = NewDisposeScope();
        return Compute(cat(_scores).cpu().data<double>().ToArray(), cat(_targets).cpu().data<long>().ToArray());
    }

    /// <summary>Replaces the kept scores with every rank's, in rank order (padded to the longest for the all-gather).</summary>
    public override void Synchronize(Distributed.ICommunicator communicator)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        if (communicator.WorldSize == 1) return;
        using var scope = NewDisposeScope();
        Tensor scores = _scores.Count == 0 ? zeros(0, Width, float64) : cat(_scores).cpu();
        Tensor labels = _targets.Count == 0 ? zeros(0, int64) : cat(_targets).cpu();
        int ranks = communicator.WorldSize;
        Tensor lengths = zeros(ranks, int64);
        lengths[communicator.Rank] = labels.shape[0];
        communicator.AllReduce(lengths);
        long[] counts = lengths.data<long>().ToArray();
        long longest = counts.Max();
        // Rows of [target, scores...] padded to the longest rank's count.
        Tensor rows = cat([labels.to(float64).unsqueeze(1), scores], 1);
        Tensor padded = zeros(longest, Width + 1, float64);
        padded.narrow(0, 0, rows.shape[0]).copy_(rows);
        Tensor gathered = zeros(ranks * longest, Width + 1, float64);
        communicator.AllGather(padded, gathered);
        Tensor all = cat([.. Enumerable.Range(0, ranks).Select(r => gathered.narrow(0, r * longest, counts[r]))]);
        Reset();
        _targets.Add(all.select(1, 0).to(int64).DetachFromDisposeScope());
        _scores.Add(all.narrow(1, 1, Width).contiguous().DetachFromDisposeScope());
    }

    /// <inheritdoc/>
    public override void Reset()
    {
        foreach (Tensor t in _scores.Concat(_targets)) t.Dispose();
        _scores.Clear();
        _targets.Clear();
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        Reset();
        base.Dispose();
    }
}

/// <summary>The Mann-Whitney form of the ROC area, which equals the trapezoids under sklearn's ROC curve.</summary>
internal static class Auc
{
    /// <summary>The area; 0 when one of the classes is absent (sklearn raises; torchmetrics warns and returns 0).</summary>
    public static double Of(double[] scores, bool[] positive)
    {
        long positives = positive.Count(p => p), negatives = positive.Length - positives;
        if (positives == 0 || negatives == 0) return 0;
        int[] order = [.. Enumerable.Range(0, scores.Length).OrderBy(i => scores[i])];
        // Average ranks (1-based) over ties.
        double positiveRanks = 0;
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[start]]) end++;
            double rank = (start + end) / 2.0 + 1;
            for (int i = start; i <= end; i++) if (positive[order[i]]) positiveRanks += rank;
            start = end + 1;
        }
        return (positiveRanks - positives * (positives + 1) / 2.0) / (positives * (double)negatives);
    }
}
