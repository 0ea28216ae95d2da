using Composer.Core;

namespace Composer.Loggers;

/// <summary>
/// Keeps every logged value in memory, like <c>composer.loggers.InMemoryLogger</c>: for tests, notebooks and
/// reading a metric's history after a run.
/// </summary>
public sealed class InMemoryLogger : LoggerDestination
{
    private readonly Dictionary<string, List<(Timestamp Timestamp, double Value)>> _data = new(StringComparer.Ordinal);
    private readonly Dictionary<string, object> _hyperparameters = new(StringComparer.Ordinal);

    /// <summary>Every value of each metric, with when it was logged, in order.</summary>
    public IReadOnlyDictionary<string, List<(Timestamp Timestamp, double Value)>> Data => _data;

    /// <summary>The last value of each metric.</summary>
    public IReadOnlyDictionary<string, double> MostRecentValues => _data.ToDictionary(d => d.Key, d => d.Value[^1].Value, StringComparer.Ordinal);

    /// <summary>The hyperparameters logged.</summary>
    public IReadOnlyDictionary<string, object> Hyperparameters => _hyperparameters;

    /// <inheritdoc/>
    public override void LogMetrics(Timestamp timestamp, IReadOnlyDictionary<string, double> metrics)
    {
        foreach ((string name, double value) in metrics)
        {
            if (!_data.TryGetValue(name, out var series)) _data[name] = series = [];
            series.Add((timestamp, value));
        }
    }

    /// <inheritdoc/>
    public override void LogHyperparameters(IReadOnlyDictionary<string, object> hyperparameters)
    {
        foreach ((string name, object value) in hyperparameters) _hyperparameters[name] = value;
    }
}
