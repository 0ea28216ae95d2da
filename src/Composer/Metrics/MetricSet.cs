namespace Composer.Metrics;

/// <summary>
/// The metrics a model is given, as Composer's <c>metrics=[...]</c>: <see cref="Accuracy"/> when none are, each name
/// once (a value is logged under its name), and a fresh copy of each for training and for every evaluator.
/// </summary>
public sealed class MetricSet
{
    private readonly Metric[] _metrics;

    /// <summary>Takes <paramref name="metrics"/>, or <see cref="Accuracy"/> alone when null.</summary>
    /// <exception cref="ArgumentException">Two metrics share a name.</exception>
    public MetricSet(IReadOnlyList<Metric>? metrics)
    {
        _metrics = [.. metrics ?? [new Accuracy()]];
        if (_metrics.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"Two metrics are named {twice.Key}; each is logged under its name, so keep one.", nameof(metrics));
    }

    /// <summary>New, empty copies of the metrics, by name.</summary>
    public IReadOnlyDictionary<string, Metric> Create() => _metrics.ToDictionary(m => m.Name, m => m.Clone(), StringComparer.Ordinal);
}
