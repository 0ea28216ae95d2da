using Composer.Core;

namespace Composer.Optim;

/// <summary>
/// The <c>*WithWarmupScheduler</c> family: α rises linearly from 0 over <c>tWarmup</c>, then a schedule
/// follows. As in Composer, the scale schedule ratio does not stretch the warmup unless
/// <c>scaleWarmup</c> is set, and the schedule after warmup is measured from the end of warmup.
/// </summary>
public abstract class WarmupScheduler : ComposerScheduler
{
    private readonly Time _tWarmup;
    private readonly double _warmupTarget;
    private readonly bool _scaleWarmup;

    /// <summary>Sets the warmup.</summary>
    /// <param name="tWarmup">How long the warmup lasts.</param>
    /// <param name="warmupTarget">The multiplier warmup ends at.</param>
    /// <param name="scaleWarmup">Whether the scale schedule ratio stretches the warmup too.</param>
    protected WarmupScheduler(string tWarmup, double warmupTarget, bool scaleWarmup)
    {
        _tWarmup = ParseTime(tWarmup, nameof(tWarmup));
        _warmupTarget = warmupTarget;
        _scaleWarmup = scaleWarmup;
    }

    /// <inheritdoc/>
    public sealed override double Multiplier(State state, double scaleScheduleRatio = 1.0)
    {
        Time warmup = Convert(_tWarmup, state);
        double now = Now(state, warmup.Unit);
        if (now < warmup.Value)
        {
            Time end = _scaleWarmup ? Convert(_tWarmup, state, scaleScheduleRatio) : warmup;
            return _warmupTarget * Math.Min(1.0, now / end.Value);
        }
        return AfterWarmup(state, scaleScheduleRatio, warmup);
    }

    /// <summary>The multiplier once warmup is over.</summary>
    protected abstract double AfterWarmup(State state, double scaleScheduleRatio, Time warmup);

    /// <summary>How far through the time from the end of warmup to <paramref name="tMax"/> the run is, in [0, 1].</summary>
    protected static double FractionAfterWarmup(State state, double scaleScheduleRatio, Time warmup, Time tMax)
    {
        Time end = Convert(tMax, state, scaleScheduleRatio);
        if (end.Unit != warmup.Unit)
            throw new InvalidOperationException(
                $"The warmup ({warmup}) and t_max ({end}) must come out in the same unit; give both in ba, or both in ep or dur.");
        if (end.Value <= warmup.Value) return 0.0;
        return Math.Min(1.0, (Now(state, warmup.Unit) - warmup.Value) / (end.Value - warmup.Value));
    }
}

/// <summary>Warmup, then <see cref="MultiStepScheduler"/> (<c>composer.optim.MultiStepWithWarmupScheduler</c>).</summary>
/// <param name="tWarmup">How long the warmup lasts.</param>
/// <param name="milestones">The times at which the rate drops.</param>
/// <param name="gamma">The factor at each milestone.</param>
/// <param name="scaleWarmup">Whether the scale schedule ratio stretches the warmup too.</param>
public sealed class MultiStepWithWarmupScheduler(string tWarmup, IReadOnlyList<string> milestones, double gamma = 0.1, bool scaleWarmup = false)
    : WarmupScheduler(tWarmup, 1.0, scaleWarmup)
{
    private readonly MultiStepScheduler _steps = new(milestones, gamma);

    /// <inheritdoc/>
    protected override double AfterWarmup(State state, double scaleScheduleRatio, Time warmup) => _steps.Multiplier(state, scaleScheduleRatio);
}

/// <summary>Warmup to <c>alpha</c>, then <see cref="ConstantScheduler"/> (<c>composer.optim.ConstantWithWarmupScheduler</c>).</summary>
/// <param name="tWarmup">How long the warmup lasts.</param>
/// <param name="alpha">The multiplier after warmup, until <paramref name="tMax"/>.</param>
/// <param name="tMax">When the multiplier returns to 1.</param>
/// <param name="scaleWarmup">Whether the scale schedule ratio stretches the warmup too.</param>
public sealed class ConstantWithWarmupScheduler(string tWarmup, double alpha = 1.0, string tMax = "1dur", bool scaleWarmup = false)
    : WarmupScheduler(tWarmup, alpha, scaleWarmup)
{
    private readonly ConstantScheduler _constant = new(alpha, tMax);

    /// <inheritdoc/>
    protected override double AfterWarmup(State state, double scaleScheduleRatio, Time warmup) => _constant.Multiplier(state, scaleScheduleRatio);
}

/// <summary>Warmup to <c>alphaI</c>, then linear to <c>alphaF</c> at <c>tMax</c> (<c>composer.optim.LinearWithWarmupScheduler</c>).</summary>
/// <param name="tWarmup">How long the warmup lasts.</param>
/// <param name="alphaI">The multiplier at the end of warmup.</param>
/// <param name="alphaF">The multiplier at <paramref name="tMax"/>.</param>
/// <param name="tMax">When the ramp ends.</param>
/// <param name="scaleWarmup">Whether the scale schedule ratio stretches the warmup too.</param>
public sealed class LinearWithWarmupScheduler(string tWarmup, double alphaI = 1.0, double alphaF = 0.0, string tMax = "1dur", bool scaleWarmup = false)
    : WarmupScheduler(tWarmup, alphaI, scaleWarmup)
{
    private readonly Time _tMax = ParseTime(tMax, nameof(tMax));
    private readonly double _alphaI = alphaI;

    /// <inheritdoc/>
    protected override double AfterWarmup(State state, double scaleScheduleRatio, Time warmup) =>
        _alphaI + FractionAfterWarmup(state, scaleScheduleRatio, warmup, _tMax) * (alphaF - _alphaI);
}

/// <summary>Warmup to 1, then cosine annealing to <c>alphaF</c> at <c>tMax</c> (<c>composer.optim.CosineAnnealingWithWarmupScheduler</c>).</summary>
/// <param name="tWarmup">How long the warmup lasts.</param>
/// <param name="tMax">When the decay ends.</param>
/// <param name="alphaF">The final multiplier.</param>
/// <param name="scaleWarmup">Whether the scale schedule ratio stretches the warmup too.</param>
public sealed class CosineAnnealingWithWarmupScheduler(string tWarmup, string tMax = "1dur", double alphaF = 0.0, bool scaleWarmup = false)
    : WarmupScheduler(tWarmup, 1.0, scaleWarmup)
{
    private readonly Time _tMax = ParseTime(tMax, nameof(tMax));

    /// <inheritdoc/>
    protected override double AfterWarmup(State state, double scaleScheduleRatio, Time warmup) =>
        CosineAnneal(FractionAfterWarmup(state, scaleScheduleRatio, warmup, _tMax), alphaF);
}

/// <summary>Warmup to 1, then polynomial decay to <c>alphaF</c> at <c>tMax</c> (<c>composer.optim.PolynomialWithWarmupScheduler</c>).</summary>
/// <param name="tWarmup">How long the warmup lasts.</param>
/// <param name="power">The exponent.</param>
/// <param name="tMax">When the decay ends.</param>
/// <param name="alphaF">The final multiplier.</param>
/// <param name="scaleWarmup">Whether the scale schedule ratio stretches the warmup too.</param>
public sealed class PolynomialWithWarmupScheduler(string tWarmup, double power = 2.0, string tMax = "1dur", double alphaF = 0.0, bool scaleWarmup = false)
    : WarmupScheduler(tWarmup, 1.0, scaleWarmup)
{
    private readonly Time _tMax = ParseTime(tMax, nameof(tMax));

    /// <inheritdoc/>
    protected override double AfterWarmup(State state, double scaleScheduleRatio, Time warmup) =>
        alphaF + (1 - alphaF) * Math.Pow(1 - FractionAfterWarmup(state, scaleScheduleRatio, warmup, _tMax), power);
}
