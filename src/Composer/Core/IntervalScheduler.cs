namespace Composer.Core;

/// <summary>
/// Decides at which events something that runs "every interval" is due, as Composer's
/// <c>create_interval_scheduler</c> does for evaluation and checkpointing: one rule for both.
/// </summary>
/// <remarks>
/// <para>
/// Epochs are checked at the epoch event, batches, samples, tokens and durations at the batch event, each
/// when the count crosses a multiple of the interval between the previous timestamp and this one. A
/// duration over an epoch run is due when <c>batch % ceil(maxEpochs · interval · batchesPerEpoch) == 0</c>
/// (over a batch run, <c>ceil(maxBatches · interval)</c>; over samples or tokens, crossing
/// <c>ceil(max · interval)</c>). At a final event, once the run is complete, it is due unless it last ran
/// at this very batch.
/// </para>
/// <para><see cref="IsDue"/> only asks; the caller reports with <see cref="Ran"/> that it acted.</para>
/// </remarks>
public sealed class IntervalScheduler
{
    private readonly Time _interval;
    private readonly Event _epochEvent;
    private readonly Event _batchEvent;
    private readonly Event[] _finalEvents;

    /// <summary>Creates the schedule.</summary>
    /// <param name="interval">ep, ba, sp, tok or dur; zero is never due (not even at the end).</param>
    /// <param name="epochEvent">Where epoch intervals are checked (EpochEnd for evaluation, EpochCheckpoint for saving).</param>
    /// <param name="batchEvent">Where the other units are checked (BatchEnd or BatchCheckpoint).</param>
    /// <param name="finalEvents">Where the end of training is checked.</param>
    /// <exception cref="ArgumentException">The interval is negative or in seconds or iterations.</exception>
    public IntervalScheduler(Time interval, Event epochEvent, Event batchEvent, params Event[] finalEvents)
    {
        _interval = RequireInterval(interval, nameof(interval), "An interval");
        _epochEvent = epochEvent;
        _batchEvent = batchEvent;
        _finalEvents = finalEvents;
    }

    /// <summary>The interval.</summary>
    public Time Interval => _interval;

    /// <summary>
    /// The rule for an interval, wherever one is given: a time in ep, ba, sp, tok or dur; zero (no interval) only where
    /// <paramref name="allowZero"/>.
    /// </summary>
    internal static Time RequireInterval(Time interval, string parameter, string what, bool allowZero = true) =>
        (allowZero ? interval.Value < 0 : interval.Value <= 0) || interval.Unit is TimeUnit.Second or TimeUnit.Iteration
            ? throw new ArgumentException(
                $"{what} must be a {(allowZero ? "" : "positive ")}time in ep, ba, sp, tok or dur{(allowZero ? " (or zero for none)" : "")}, such as \"1ep\" or \"500ba\"; {interval} cannot be.",
                parameter)
            : interval;

    /// <summary>The batch at which the caller last acted (<see cref="Ran"/>); -1 before that.</summary>
    public long LastBatch { get; set; } = -1;

    /// <summary>Whether the interval (or the end of training) is due at <paramref name="trigger"/>. Changes nothing.</summary>
    public bool IsDue(State state, Event trigger)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (_interval.Value == 0 || state.PreviousTimestamp is not { } previous) return false;
        if (Array.IndexOf(_finalEvents, trigger) >= 0 && state.ElapsedDuration.Value >= 1 && state.Timestamp.Batch != LastBatch)
            return true;
        if (_interval.Unit == TimeUnit.Epoch)
            return trigger == _epochEvent && Crossed(previous.Epoch, state.Timestamp.Epoch, _interval.Value);
        if (trigger != _batchEvent) return false;
        if (_interval.Unit != TimeUnit.Duration)
            return Crossed(previous.Get(_interval.Unit), state.Timestamp.Get(_interval.Unit), _interval.Value);

        Time max = state.MaxDuration;
        return max.Unit switch
        {
            TimeUnit.Epoch => state.Timestamp.Batch % Math.Ceiling(max.Value * _interval.Value * state.TrainDataloader.Count) == 0,
            TimeUnit.Batch => state.Timestamp.Batch % Math.Ceiling(max.Value * _interval.Value) == 0,
            _ => Crossed(previous.Get(max.Unit), state.Timestamp.Get(max.Unit), Math.Ceiling(max.Value * _interval.Value)),
        };
    }

    /// <summary>Records that the caller acted at this batch, so the end of training does not repeat it.</summary>
    public void Ran(State state)
    {
        ArgumentNullException.ThrowIfNull(state);
        LastBatch = state.Timestamp.Batch;
    }

    private static bool Crossed(double previous, double now, double step) => Math.Floor(previous / step) != Math.Floor(now / step);
}
