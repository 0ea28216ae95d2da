using Composer.Core;

namespace Composer.Optim;

/// <summary>
/// α follows half a cosine from 1 down to <c>alphaF</c> over <c>tMax</c>:
/// α = αf + (1 - αf)(1 + cos(π t / t_max)) / 2 (<c>composer.optim.CosineAnnealingScheduler</c>; Loshchilov and Hutter, 2016).
/// </summary>
/// <param name="tMax">How long the decay takes; the whole run by default.</param>
/// <param name="alphaF">The final multiplier.</param>
public sealed class CosineAnnealingScheduler([TimeString] string tMax = "1dur", double alphaF = 0.0) : ComposerScheduler
{
    private readonly Time _tMax = ParseTime(tMax, nameof(tMax));

    /// <inheritdoc/>
    public override double Multiplier(SchedulerState state, double scaleScheduleRatio = 1.0)
    {
        Time end = Convert(_tMax, state, scaleScheduleRatio);
        return CosineAnneal(Math.Min(1.0, Now(state, end.Unit) / end.Value), alphaF);
    }
}
