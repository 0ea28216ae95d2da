using Composer.Core;
using Composer.Metrics;

namespace Composer.Callbacks;

/// <summary>
/// Stops training when a metric has not improved for <c>patience</c>, like
/// <c>composer.callbacks.EarlyStopper</c>: an evaluator's metric is checked after each of its evaluations,
/// the training metric after each epoch. An improvement must beat the best value by more than <c>minDelta</c>.
/// </summary>
public sealed class EarlyStopper : Callback
{
    private readonly Time _patience;
    private readonly bool _minimize;
    private readonly double _minDelta;

    /// <summary>Creates the callback.</summary>
    /// <param name="monitor">The metric's name, for example <c>"Accuracy"</c>.</param>
    /// <param name="dataloaderLabel">The evaluator's label, or <c>"train"</c>.</param>
    /// <param name="minimize">True when smaller is better (a loss).</param>
    /// <param name="minDelta">How much better than the best a value must be to count as an improvement.</param>
    /// <param name="patience">How long without improvement stops the run, in ep or ba; <c>"1ep"</c> by default.</param>
    public EarlyStopper(string monitor, string dataloaderLabel, bool minimize = false, double minDelta = 0.0, [TimeString] string patience = "1ep")
    {
        Monitor = monitor ?? throw new ArgumentNullException(nameof(monitor));
        DataloaderLabel = dataloaderLabel ?? throw new ArgumentNullException(nameof(dataloaderLabel));
        _minimize = minimize;
        _minDelta = Math.Abs(minDelta);
        _patience = Time.Parse(patience);
        if (_patience.Unit is not (TimeUnit.Epoch or TimeUnit.Batch))
            throw new ArgumentException($"EarlyStopper's patience is in ep or ba, for example \"2ep\"; got \"{patience}\".", nameof(patience));
    }

    /// <summary>The metric's name.</summary>
    public string Monitor { get; }

    /// <summary>The evaluator's label, or <c>"train"</c>.</summary>
    public string DataloaderLabel { get; }

    /// <summary>The best value seen; null before the first check.</summary>
    public double? Best { get; private set; }

    /// <summary>When the best value was seen.</summary>
    public Timestamp? BestAt { get; private set; }

    /// <summary>Checks the evaluator's metric after its evaluation.</summary>
    [OnEvent(Event.EvalEnd)]
    public void CheckEvaluation(State state)
    {
        if (state.DataloaderLabel != DataloaderLabel) return;
        if (!state.EvalMetrics.TryGetValue(DataloaderLabel, out var metrics))
            throw new InvalidOperationException($"EarlyStopper watches the evaluator \"{DataloaderLabel}\", but the trainer has: {string.Join(", ", state.EvalMetrics.Keys)}.");
        Check(state, metrics);
    }

    /// <summary>Checks the training metric at the end of each epoch.</summary>
    [OnEvent(Event.EpochEnd)]
    public void CheckTraining(State state)
    {
        if (DataloaderLabel == "train") Check(state, state.TrainMetrics);
    }

    private void Check(State state, IReadOnlyDictionary<string, Metric> metrics)
    {
        if (!metrics.TryGetValue(Monitor, out Metric? metric))
            throw new InvalidOperationException($"EarlyStopper monitors \"{Monitor}\" on \"{DataloaderLabel}\", which has no such metric; it has: {string.Join(", ", metrics.Keys)}.");
        double value = metric.Compute();
        bool better = Best is not { } best || ((_minimize ? value < best : value > best) && Math.Abs(value - best) > _minDelta);
        if (better)
        {
            Best = value;
            BestAt = state.Timestamp;
            return;
        }
        double since = state.Timestamp.Get(_patience.Unit) - BestAt!.Value.Get(_patience.Unit);
        if (since > _patience.Value) state.StopTraining();
    }
}
