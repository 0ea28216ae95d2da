using Composer.Core;

namespace Composer.Optim;

/// <summary>α = γ^(t / decay_period), a smooth decay (<c>composer.optim.ExponentialScheduler</c>).</summary>
/// <param name="gamma">The factor per decay period.</param>
/// <param name="decayPeriod">The period, <c>"1ep"</c> by default.</param>
public sealed class ExponentialScheduler(double gamma, [TimeString] string decayPeriod = "1ep") : ComposerScheduler
{
    private readonly Time _decayPeriod = ParseTime(decayPeriod, nameof(decayPeriod));

    /// <inheritdoc/>
    public override double Multiplier(SchedulerState state, double scaleScheduleRatio = 1.0)
    {
        Time period = Convert(_decayPeriod, state, scaleScheduleRatio);
        return Math.Pow(gamma, Now(state, period.Unit) / period.Value);
    }
}
