using Composer.Core;

namespace Composer.Optim;

/// <summary>
/// Cosine annealing that restarts: the first cycle lasts <c>t0</c>, each next one <c>tMult</c> times longer
/// (<c>composer.optim.CosineAnnealingWarmRestartsScheduler</c>; SGDR, Loshchilov and Hutter, 2016).
/// </summary>
/// <param name="t0">The length of the first cycle.</param>
/// <param name="tMult">How much longer each cycle is than the one before.</param>
/// <param name="alphaF">The multiplier at the end of each cycle.</param>
public sealed class CosineAnnealingWarmRestartsScheduler([TimeString] string t0, double tMult = 1.0, double alphaF = 0.0) : ComposerScheduler
{
    private readonly Time _t0 = ParseTime(t0, nameof(t0));

    /// <inheritdoc/>
    public override double Multiplier(SchedulerState state, double scaleScheduleRatio = 1.0)
    {
        Time first = Convert(_t0, state, scaleScheduleRatio);
        double now = Now(state, first.Unit);
        double length = first.Value;
        double end = first.Value;
        while (end <= now)
        {
            if (length == 0)
                throw new InvalidOperationException("A cycle of CosineAnnealingWarmRestartsScheduler has length 0; use a longer t0 or a tMult of at least 1.");
            length = (long)(tMult * length);
            end += length;
        }
        return CosineAnneal((now - (end - length)) / length, alphaF);
    }
}
