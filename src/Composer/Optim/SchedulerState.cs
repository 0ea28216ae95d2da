using Composer.Core;

namespace Composer.Optim;

/// <summary>
/// What a <see cref="ComposerScheduler"/> reads of the training state: the timestamp, the max duration (already scaled
/// by the scale schedule ratio, as the Trainer holds it) and the number of batches in an epoch. Build one to evaluate
/// a scheduler outside a running Trainer, as Composer's schedulers take any <c>State</c>:
/// <c>scheduler.Multiplier(new SchedulerState(new Timestamp { Batch = 250 }, Time.Parse("10ep"), 100))</c>.
/// </summary>
/// <param name="Timestamp">The time reached; a schedule reads it in the unit of its own times.</param>
/// <param name="MaxDuration">The run's length.</param>
/// <param name="DataloaderLength">Batches per epoch; null when unknown, which schedules in <c>ep</c> (or <c>dur</c> of a run in <c>ep</c>) cannot do without.</param>
public readonly record struct SchedulerState(Timestamp Timestamp, Time MaxDuration, long? DataloaderLength)
{
    /// <summary>The scheduler's view of a trainer's <paramref name="state"/>.</summary>
    public static SchedulerState Of(State state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new SchedulerState(state.Timestamp, state.MaxDuration, state.TrainDataloader.Count);
    }

    /// <summary>Batches per epoch, or an error naming what needs them.</summary>
    internal long BatchesPerEpoch(Time time) => DataloaderLength
        ?? throw new InvalidOperationException($"The schedule time {time} needs the number of batches per epoch; give SchedulerState a DataloaderLength.");
}
