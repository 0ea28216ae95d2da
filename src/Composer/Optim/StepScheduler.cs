using Composer.Core;

namespace Composer.Optim;

/// <summary>Decays by <c>gamma</c> every <c>stepSize</c>: α = γ^floor(t / step_size) (<c>composer.optim.StepScheduler</c>).</summary>
/// <param name="stepSize">The period, for example <c>"10ep"</c> or <c>"500ba"</c>.</param>
/// <param name="gamma">The factor per period.</param>
public sealed class StepScheduler([TimeString] string stepSize, double gamma = 0.1) : ComposerScheduler
{
    private readonly Time _stepSize = ParseTime(stepSize, nameof(stepSize));

    /// <inheritdoc/>
    public override double Multiplier(SchedulerState state, double scaleScheduleRatio = 1.0)
    {
        Time step = Convert(_stepSize, state, scaleScheduleRatio);
        return Math.Pow(gamma, Math.Floor(Now(state, step.Unit) / step.Value));
    }
}
