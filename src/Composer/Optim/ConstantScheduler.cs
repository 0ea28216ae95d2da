using Composer.Core;

namespace Composer.Optim;

/// <summary>α = <c>alpha</c> until <c>tMax</c>, then 1 (<c>composer.optim.ConstantScheduler</c>).</summary>
/// <param name="alpha">The multiplier before <paramref name="tMax"/>.</param>
/// <param name="tMax">When the multiplier returns to 1.</param>
public sealed class ConstantScheduler(double alpha = 1.0, [TimeString] string tMax = "1dur") : ComposerScheduler
{
    private readonly Time _tMax = ParseTime(tMax, nameof(tMax));

    /// <inheritdoc/>
    public override double Multiplier(SchedulerState state, double scaleScheduleRatio = 1.0)
    {
        Time end = Convert(_tMax, state, scaleScheduleRatio);
        return Now(state, end.Unit) < end.Value ? alpha : 1.0;
    }
}
