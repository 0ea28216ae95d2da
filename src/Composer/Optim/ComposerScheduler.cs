using Composer.Core;

namespace Composer.Optim;

/// <summary>
/// A learning-rate schedule as Composer defines one: a pure function of the training state that returns a
/// multiplier α on each parameter group's initial learning rate (<c>composer.optim.ComposerScheduler</c>).
/// Several schedulers multiply together.
/// </summary>
/// <remarks>
/// The Trainer sets the learning rate from the schedulers before every batch, from the timestamp of that
/// batch: batch <c>k</c> trains with α(k). Composer wraps its schedulers in a <c>LambdaLR</c> that is
/// stepped before the timestamp advances, so there batches 0 and 1 both get α(0) and every later batch is
/// one behind; this implementation does not reproduce that.
/// </remarks>
public abstract class ComposerScheduler
{
    /// <summary>The multiplier on the initial learning rate at the state's current timestamp.</summary>
    /// <param name="state">The training state; its timestamp, max duration and dataloader length are read.</param>
    /// <param name="scaleScheduleRatio">Composer's <c>ssr</c>: stretches the schedule, α_σ(t) = α(t / σ).</param>
    public abstract double Multiplier(SchedulerState state, double scaleScheduleRatio = 1.0);

    /// <summary>The multiplier at a trainer's current timestamp.</summary>
    /// <param name="state">The training state; its timestamp, max duration and dataloader length are read.</param>
    /// <param name="scaleScheduleRatio">Composer's <c>ssr</c>: stretches the schedule, α_σ(t) = α(t / σ).</param>
    public double Multiplier(State state, double scaleScheduleRatio = 1.0) => Multiplier(SchedulerState.Of(state), scaleScheduleRatio);

    /// <summary>
    /// Converts a schedule time to what the state counts, as Composer's <c>_convert_time</c>: <c>dur</c>
    /// becomes a fraction of the max duration (epochs in batches), <c>ep</c> becomes batches because epochs
    /// are too coarse to stretch, and the result is scaled by the ratio.
    /// </summary>
    protected static Time Convert(Time time, SchedulerState state, double scaleScheduleRatio = 1.0)
    {
        if (time.Unit == TimeUnit.Duration)
        {
            // The max duration is already scaled by the ratio.
            return state.MaxDuration.Unit == TimeUnit.Epoch
                ? Time.FromBatches((long)(time.Value * state.BatchesPerEpoch(time) * state.MaxDuration.Value))
                : new Time((long)(time.Value * state.MaxDuration.Value), state.MaxDuration.Unit);
        }
        if (time.Unit == TimeUnit.Epoch) time = Time.FromBatches((long)(time.Value * state.BatchesPerEpoch(time)));
        if (time.Unit is TimeUnit.Second or TimeUnit.Iteration)
            throw new ArgumentException($"A schedule is set in ep, ba, sp, tok or dur; {time} cannot be.");
        return new Time((long)(time.Value * scaleScheduleRatio), time.Unit);
    }

    /// <summary>The state's timestamp in <paramref name="unit"/>.</summary>
    protected static double Now(SchedulerState state, TimeUnit unit) => state.Timestamp.Get(unit);

    /// <summary>Parses a time string, naming the parameter in the error.</summary>
    protected static Time ParseTime(string text, string parameter)
    {
        try
        {
            return Time.Parse(text);
        }
        catch (FormatException e)
        {
            throw new ArgumentException(e.Message, parameter, e);
        }
    }

    /// <summary>Composer's <c>_cosine_anneal</c>: from <paramref name="maxY"/> at x = 0 to <paramref name="minY"/> at x = 1.</summary>
    protected static double CosineAnneal(double x, double minY = 0.0, double maxY = 1.0) =>
        minY + (maxY - minY) * (1 + Math.Cos(x * Math.PI)) / 2;
}
