using Composer.Core;

namespace Composer;

/// <summary>What a run of <see cref="Trainer.Fit"/> ended with.</summary>
/// <param name="Timestamp">Where training stopped.</param>
/// <param name="TrainLoss">The loss of the last batch trained, or null when this call trained none.</param>
/// <param name="Metrics">
/// The last computed evaluation metrics by logged name (<c>metrics/eval/Accuracy</c>), empty when nothing was evaluated.
/// </param>
public sealed record FitResult(Timestamp Timestamp, double? TrainLoss, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>The value of <c>metrics/{evaluator}/{metric}</c>.</summary>
    /// <exception cref="KeyNotFoundException">Nothing was evaluated under that name; the message lists what was.</exception>
    public double Metric(string evaluator, string metric) =>
        Metrics.TryGetValue($"metrics/{evaluator}/{metric}", out double value)
            ? value
            : throw new KeyNotFoundException(
                $"No metric \"metrics/{evaluator}/{metric}\" was evaluated; the run has: {(Metrics.Count == 0 ? "none" : string.Join(", ", Metrics.Keys))}.");
}
