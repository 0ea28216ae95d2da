using Composer.Core;

namespace Composer.Loggers;

/// <summary>
/// Where logged values go (console, file, TensorBoard). A destination is a <see cref="Callback"/>: list it
/// in the trainer like any other member, and it also runs last at every event.
/// </summary>
public abstract class LoggerDestination : Callback
{
    /// <summary>
    /// Whether only rank 0 receives values when several processes train (true by default, as Composer's loggers
    /// log from rank zero): the other ranks' copies would write the same numbers again.
    /// </summary>
    public virtual bool RankZeroOnly => true;

    /// <summary>Receives metrics logged at <paramref name="timestamp"/>.</summary>
    public virtual void LogMetrics(Timestamp timestamp, IReadOnlyDictionary<string, double> metrics)
    {
    }

    /// <summary>Receives the run's hyperparameters.</summary>
    public virtual void LogHyperparameters(IReadOnlyDictionary<string, object> hyperparameters)
    {
    }
}
