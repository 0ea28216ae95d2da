using Composer.Core;

namespace Composer.Callbacks;

/// <summary>
/// Stops training once a metric crosses a threshold, like <c>composer.callbacks.ThresholdStopper</c>:
/// an evaluator's metric is checked after each evaluation, the training metric after each epoch.
/// </summary>
/// <param name="monitor">The metric's name, for example <c>"Accuracy"</c>.</param>
/// <param name="dataloaderLabel">The evaluator's label, or <c>"train"</c> for the training metrics.</param>
/// <param name="threshold">The value that ends training.</param>
/// <param name="minimize">True when smaller is better (stop at or below the threshold).</param>
public sealed class ThresholdStopper(string monitor, string dataloaderLabel, double threshold, bool minimize = false) : Callback
{
    /// <summary>The metric's name.</summary>
    public string Monitor { get; } = monitor ?? throw new ArgumentNullException(nameof(monitor));

    /// <summary>The evaluator's label, or <c>"train"</c>.</summary>
    public string DataloaderLabel { get; } = dataloaderLabel ?? throw new ArgumentNullException(nameof(dataloaderLabel));

    /// <summary>The value that ends training.</summary>
    public double Threshold { get; } = threshold;

    /// <summary>When the threshold was crossed; null until then.</summary>
    public Timestamp? ReachedAt { get; private set; }

    /// <summary>The metric's value when the threshold was crossed.</summary>
    public double? ReachedValue { get; private set; }

    /// <summary>Checks the evaluator's metric after its evaluation.</summary>
    [OnEvent(Event.EvalEnd)]
    public void CheckEvaluation(State state)
    {
        if (state.DataloaderLabel == DataloaderLabel) Check(state, MetricsOf(state.EvalMetrics, DataloaderLabel));
    }

    /// <summary>Checks the training metric at the end of each epoch.</summary>
    [OnEvent(Event.EpochEnd)]
    public void CheckTraining(State state)
    {
        if (DataloaderLabel == "train") Check(state, state.TrainMetrics);
    }

    private void Check(State state, IReadOnlyDictionary<string, Metrics.Metric> metrics)
    {
        if (ReachedAt is not null) return;
        if (!metrics.TryGetValue(Monitor, out Metrics.Metric? metric))
            throw new InvalidOperationException(
                $"ThresholdStopper monitors \"{Monitor}\" on \"{DataloaderLabel}\", which has no such metric; it has: {string.Join(", ", metrics.Keys)}.");
        double value = metric.Compute();
        if (minimize ? value <= Threshold : value >= Threshold)
        {
            ReachedAt = state.Timestamp;
            ReachedValue = value;
            state.StopTraining();
        }
    }

    private IReadOnlyDictionary<string, Metrics.Metric> MetricsOf(
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, Metrics.Metric>> all, string label) =>
        all.TryGetValue(label, out var metrics)
            ? metrics
            : throw new InvalidOperationException(
                $"ThresholdStopper watches the evaluator \"{label}\", but the trainer has: {string.Join(", ", all.Keys)}.");
}
