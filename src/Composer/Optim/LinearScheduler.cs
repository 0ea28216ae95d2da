using Composer.Core;

namespace Composer.Optim;

/// <summary>
/// α goes linearly from <c>alphaI</c> to <c>alphaF</c> over <c>tMax</c>, then stays at <c>alphaF</c>
/// (<c>composer.optim.LinearScheduler</c>).
/// </summary>
/// <param name="alphaI">The multiplier at the start.</param>
/// <param name="alphaF">The multiplier from <paramref name="tMax"/> on.</param>
/// <param name="tMax">How long the ramp takes.</param>
public sealed class LinearScheduler(double alphaI = 1.0, double alphaF = 0.0, [TimeString] string tMax = "1dur") : ComposerScheduler
{
    private readonly Time _tMax = ParseTime(tMax, nameof(tMax));

    /// <inheritdoc/>
    public override double Multiplier(SchedulerState state, double scaleScheduleRatio = 1.0)
    {
        Time end = Convert(_tMax, state, scaleScheduleRatio);
        double fraction = Math.Min(1.0, Now(state, end.Unit) / end.Value);
        return alphaI + (alphaF - alphaI) * fraction;
    }
}
