using Composer.Core;

namespace Composer.Optim;

/// <summary>
/// α = αf + (1 - αf)(1 - t / t_max)^power (<c>composer.optim.PolynomialScheduler</c>).
/// </summary>
/// <param name="power">The exponent; 1 is linear decay.</param>
/// <param name="tMax">How long the decay takes.</param>
/// <param name="alphaF">The final multiplier.</param>
public sealed class PolynomialScheduler(double power, [TimeString] string tMax = "1dur", double alphaF = 0.0) : ComposerScheduler
{
    private readonly Time _tMax = ParseTime(tMax, nameof(tMax));

    /// <inheritdoc/>
    public override double Multiplier(SchedulerState state, double scaleScheduleRatio = 1.0)
    {
        Time end = Convert(_tMax, state, scaleScheduleRatio);
        double fraction = Math.Min(1.0, Now(state, end.Unit) / end.Value);
        return alphaF + (1 - alphaF) * Math.Pow(1 - fraction, power);
    }
}
