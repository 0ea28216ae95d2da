using Composer.Core;

namespace Composer.Optim;

/// <summary>Multiplies by <c>gamma</c> at each milestone passed (<c>composer.optim.MultiStepScheduler</c>).</summary>
/// <param name="milestones">The times at which the rate drops, for example <c>["30ep", "60ep"]</c>.</param>
/// <param name="gamma">The factor at each milestone.</param>
public sealed class MultiStepScheduler([TimeString] IReadOnlyList<string> milestones, double gamma = 0.1) : ComposerScheduler
{
    private readonly Time[] _milestones = milestones.Select(m => ParseTime(m, nameof(milestones))).ToArray();

    /// <inheritdoc/>
    public override double Multiplier(SchedulerState state, double scaleScheduleRatio = 1.0)
    {
        double factor = 1.0;
        foreach (Time milestone in _milestones)
        {
            Time at = Convert(milestone, state, scaleScheduleRatio);
            if (Now(state, at.Unit) >= at.Value) factor *= gamma;
        }
        return factor;
    }
}
