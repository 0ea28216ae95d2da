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

    /// <summary>Receives images logged under <paramref name="name"/> at <paramref name="timestamp"/> (Composer's <c>log_images</c>).</summary>
    public virtual void LogImages(Timestamp timestamp, string name, IReadOnlyList<LoggedImage> images)
    {
    }

    /// <summary>
    /// Receives a table (Composer's <c>log_table</c>): a row per entry, each cell a number, a string or a
    /// <see cref="LoggedImage"/>.
    /// </summary>
    public virtual void LogTable(Timestamp timestamp, string name, IReadOnlyList<string> columns, IReadOnlyList<IReadOnlyList<object>> rows)
    {
    }

    /// <summary>
    /// Receives a file the run produced, such as a checkpoint (Composer's <c>upload_file</c>); a destination that
    /// stores files (W&amp;B artifacts) keeps it under <paramref name="remoteName"/>.
    /// </summary>
    public virtual void UploadFile(State state, string remoteName, string path)
    {
    }

    /// <summary>
    /// Makes everything received so far survive a crash: written to the destination's files and synced to disk, or
    /// kept in the state it saves as an <see cref="IStateful"/> member. The <see cref="Callbacks.CheckpointSaver"/> calls
    /// it (through <see cref="Logger.Persist"/>) before it writes each checkpoint, so a run resumed from that checkpoint
    /// finds every value logged before it; a crash loses at most what was logged after the last checkpoint, which the
    /// resumed run logs again.
    /// </summary>
    public virtual void Persist()
    {
    }
}
