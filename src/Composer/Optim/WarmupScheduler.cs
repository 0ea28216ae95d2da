using Composer.Core;

namespace Composer.Optim;

/// <summary>
/// The <c>*WithWarmupScheduler</c> family: α rises linearly from 0 over <c>tWarmup</c>, then a schedule
/// follows. As in Composer, the scale schedule ratio does not stretch the warmup unless
/// <c>scaleWarmup</c> is set, and the schedule after warmup is measured from the end of warmup.
/// </summary>
/// <remarks>
/// A scheduler with a <c>tMax</c> checks it at every call, warmup included, as Composer's does: warmup and
/// <c>tMax</c> must come out in the same unit, and <c>tMax</c> must not end before the run where the two can be compared.
/// </remarks>
public abstract class WarmupScheduler : ComposerScheduler
{
    private readonly Time _tWarmup;
    private readonly Time? _tMax;
    private readonly double _warmupTarget;
    private readonly bool _scaleWarmup;

    /// <summary>Sets the warmup.</summary>
    /// <param name="tWarmup">How long the warmup lasts.</param>
    /// <param name="warmupTarget">The multiplier warmup ends at.</param>
    /// <param name="scaleWarmup">Whether the scale schedule ratio stretches the warmup too.</param>
    /// <param name="tMax">When the schedule after warmup ends; null for a schedule without an end.</param>
    protected WarmupScheduler([TimeString] string tWarmup, double warmupTarget, bool scaleWarmup, [TimeString] string? tMax = null)
    {
        _tWarmup = ParseTime(tWarmup, nameof(tWarmup));
        _tMax = tMax is null ? null : ParseTime(tMax, nameof(tMax));
        _warmupTarget = warmupTarget;
        _scaleWarmup = scaleWarmup;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">Warmup and <c>tMax</c> in units that cannot be compared, or <c>tMax</c> before the run's end.</exception>
    public sealed override double Multiplier(SchedulerState state, double scaleScheduleRatio = 1.0)
    {
        Time warmup = Convert(_tWarmup, state);
        if (_tMax is { } tMax) RequireValidEnd(Convert(tMax, state, scaleScheduleRatio), warmup, state);
        double now = Now(state, warmup.Unit);
        if (now < warmup.Value)
        {
            Time end = _scaleWarmup ? Convert(_tWarmup, state, scaleScheduleRatio) : warmup;
            return _warmupTarget * Math.Min(1.0, now / end.Value);
        }
        return AfterWarmup(state, scaleScheduleRatio, warmup);
    }

    /// <summary>The multiplier once warmup is over.</summary>
    protected abstract double AfterWarmup(SchedulerState state, double scaleScheduleRatio, Time warmup);

    /// <summary>How far through the time from the end of warmup to <c>tMax</c> the run is, at most 1.</summary>
    protected double FractionAfterWarmup(SchedulerState state, double scaleScheduleRatio, Time warmup)
    {
        Time end = Convert(_tMax ?? throw new InvalidOperationException("This scheduler has no tMax."), state, scaleScheduleRatio);
        if (end.Value <= warmup.Value) return 0.0;
        return Math.Min(1.0, (Now(state, warmup.Unit) - warmup.Value) / (end.Value - warmup.Value));
    }

    // Composer's _raise_if_warmup_and_max_incompatible and _raise_if_max_duration_exceeds_t_max.
    private static void RequireValidEnd(Time tMax, Time warmup, SchedulerState state)
    {
        if (tMax.Unit != warmup.Unit)
            throw new ArgumentException(
                $"The warmup ({warmup}) and tMax ({tMax}) come out in different units; give both in ba (or ep and dur, which become batches), or both in sp or tok.", "tMax");
        Time run = state.MaxDuration;
        double? runInTMaxUnit = tMax.Unit == run.Unit ? run.Value
            : tMax.Unit == TimeUnit.Batch && run.Unit == TimeUnit.Epoch && state.DataloaderLength is long perEpoch ? run.Value * perEpoch
            : null;
        // Units that cannot be compared (samples against epochs) are taken as given, as Composer does.
        if (runInTMaxUnit is double length && tMax.Value < length)
            throw new ArgumentException(
                $"tMax {tMax} must be at least the max duration {run}; otherwise the schedule is not defined for the whole run. Use \"1dur\" or a longer tMax.", "tMax");
    }
}

/// <summary>Warmup, then <see cref="MultiStepScheduler"/> (<c>composer.optim.MultiStepWithWarmupScheduler</c>).</summary>
/// <param name="tWarmup">How long the warmup lasts.</param>
/// <param name="milestones">The times at which the rate drops.</param>
/// <param name="gamma">The factor at each milestone.</param>
/// <param name="scaleWarmup">Whether the scale schedule ratio stretches the warmup too.</param>
public sealed class MultiStepWithWarmupScheduler([TimeString] string tWarmup, [TimeString] IReadOnlyList<string> milestones, double gamma = 0.1, bool scaleWarmup = false)
    : WarmupScheduler(tWarmup, 1.0, scaleWarmup)
{
    private readonly MultiStepScheduler _steps = new(milestones, gamma);

    /// <inheritdoc/>
    protected override double AfterWarmup(SchedulerState state, double scaleScheduleRatio, Time warmup) => _steps.Multiplier(state, scaleScheduleRatio);
}

/// <summary>
/// Warmup to <c>alpha</c>, then <c>alpha</c> (<c>composer.optim.ConstantWithWarmupScheduler</c>). As in Composer, which
/// builds it as a <see cref="LinearWithWarmupScheduler"/> from <c>alpha</c> to <c>alpha</c>, the multiplier stays
/// <c>alpha</c> after <c>tMax</c> (unlike <see cref="ConstantScheduler"/>, which returns to 1 there).
/// </summary>
/// <param name="tWarmup">How long the warmup lasts.</param>
/// <param name="alpha">The multiplier after warmup.</param>
/// <param name="tMax">The schedule's end; at least the run's max duration.</param>
/// <param name="scaleWarmup">Whether the scale schedule ratio stretches the warmup too.</param>
public sealed class ConstantWithWarmupScheduler([TimeString] string tWarmup, double alpha = 1.0, [TimeString] string tMax = "1dur", bool scaleWarmup = false)
    : WarmupScheduler(tWarmup, alpha, scaleWarmup, tMax)
{
    private readonly double _alpha = alpha;

    /// <inheritdoc/>
    protected override double AfterWarmup(SchedulerState state, double scaleScheduleRatio, Time warmup) => _alpha;
}

/// <summary>Warmup to <c>alphaI</c>, then linear to <c>alphaF</c> at <c>tMax</c> (<c>composer.optim.LinearWithWarmupScheduler</c>).</summary>
/// <param name="tWarmup">How long the warmup lasts.</param>
/// <param name="alphaI">The multiplier at the end of warmup.</param>
/// <param name="alphaF">The multiplier at <paramref name="tMax"/>.</param>
/// <param name="tMax">When the ramp ends.</param>
/// <param name="scaleWarmup">Whether the scale schedule ratio stretches the warmup too.</param>
public sealed class LinearWithWarmupScheduler([TimeString] string tWarmup, double alphaI = 1.0, double alphaF = 0.0, [TimeString] string tMax = "1dur", bool scaleWarmup = false)
    : WarmupScheduler(tWarmup, alphaI, scaleWarmup, tMax)
{
    private readonly double _alphaI = alphaI;

    /// <inheritdoc/>
    protected override double AfterWarmup(SchedulerState state, double scaleScheduleRatio, Time warmup) =>
        _alphaI + FractionAfterWarmup(state, scaleScheduleRatio, warmup) * (alphaF - _alphaI);
}

/// <summary>Warmup to 1, then cosine annealing to <c>alphaF</c> at <c>tMax</c> (<c>composer.optim.CosineAnnealingWithWarmupScheduler</c>).</summary>
/// <param name="tWarmup">How long the warmup lasts.</param>
/// <param name="tMax">When the decay ends.</param>
/// <param name="alphaF">The final multiplier.</param>
/// <param name="scaleWarmup">Whether the scale schedule ratio stretches the warmup too.</param>
public sealed class CosineAnnealingWithWarmupScheduler([TimeString] string tWarmup, [TimeString] string tMax = "1dur", double alphaF = 0.0, bool scaleWarmup = false)
    : WarmupScheduler(tWarmup, 1.0, scaleWarmup, tMax)
{
    /// <inheritdoc/>
    protected override double AfterWarmup(SchedulerState state, double scaleScheduleRatio, Time warmup) =>
        CosineAnneal(FractionAfterWarmup(state, scaleScheduleRatio, warmup), alphaF);
}

/// <summary>Warmup to 1, then polynomial decay to <c>alphaF</c> at <c>tMax</c> (<c>composer.optim.PolynomialWithWarmupScheduler</c>).</summary>
/// <param name="tWarmup">How long the warmup lasts.</param>
/// <param name="power">The exponent.</param>
/// <param name="tMax">When the decay ends.</param>
/// <param name="alphaF">The final multiplier.</param>
/// <param name="scaleWarmup">Whether the scale schedule ratio stretches the warmup too.</param>
public sealed class PolynomialWithWarmupScheduler([TimeString] string tWarmup, double power = 2.0, [TimeString] string tMax = "1dur", double alphaF = 0.0, bool scaleWarmup = false)
    : WarmupScheduler(tWarmup, 1.0, scaleWarmup, tMax)
{
    /// <inheritdoc/>
    protected override double AfterWarmup(SchedulerState state, double scaleScheduleRatio, Time warmup) =>
        alphaF + (1 - alphaF) * Math.Pow(1 - FractionAfterWarmup(state, scaleScheduleRatio, warmup), power);
}
