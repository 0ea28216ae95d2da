using Composer.Data;
using Composer.Metrics;

namespace Composer.Core;

/// <summary>
/// A named evaluation dataset with its metrics, like <c>composer.core.Evaluator</c>. Its metric values are
/// at <c>state.EvalMetrics[label]</c> after it runs.
/// </summary>
/// <param name="label">The name metrics are logged under, for example <c>"eval"</c>.</param>
/// <param name="dataloader">The evaluation batches.</param>
/// <param name="metrics">The metrics by name; the model's evaluation metrics when omitted.</param>
public sealed class Evaluator(string label, DataLoader dataloader, IReadOnlyDictionary<string, Metric>? metrics = null)
{
    /// <summary>The name metrics are logged under.</summary>
    public string Label { get; } = string.IsNullOrWhiteSpace(label)
        ? throw new ArgumentException("An evaluator needs a label, such as \"eval\".", nameof(label))
        : label;

    /// <summary>The evaluation batches.</summary>
    public DataLoader Dataloader { get; } = dataloader ?? throw new ArgumentNullException(nameof(dataloader));

    /// <summary>The metrics by name; set from the model when the trainer starts if none were given.</summary>
    public IReadOnlyDictionary<string, Metric>? Metrics { get; internal set; } = metrics;
}
