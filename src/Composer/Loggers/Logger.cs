using Composer.Core;

namespace Composer.Loggers;

/// <summary>
/// The facade algorithms and callbacks log through, like <c>composer.loggers.Logger</c>: it stamps values
/// with the current <see cref="Timestamp"/> and hands them to every <see cref="LoggerDestination"/>.
/// </summary>
public sealed class Logger
{
    private readonly State _state;

    /// <summary>Creates a logger for <paramref name="state"/> writing to <paramref name="destinations"/>.</summary>
    public Logger(State state, IReadOnlyList<LoggerDestination> destinations)
    {
        _state = state ?? throw new ArgumentNullException(nameof(state));
        Destinations = destinations ?? throw new ArgumentNullException(nameof(destinations));
    }

    /// <summary>The destinations, in the order they receive values.</summary>
    public IReadOnlyList<LoggerDestination> Destinations { get; }

    /// <summary>Logs metrics at the current timestamp.</summary>
    public void LogMetrics(IReadOnlyDictionary<string, double> metrics)
    {
        foreach (LoggerDestination destination in Destinations)
            destination.LogMetrics(_state.Timestamp, metrics);
    }

    /// <summary>Logs the run's hyperparameters.</summary>
    public void LogHyperparameters(IReadOnlyDictionary<string, object> hyperparameters)
    {
        foreach (LoggerDestination destination in Destinations)
            destination.LogHyperparameters(hyperparameters);
    }
}
