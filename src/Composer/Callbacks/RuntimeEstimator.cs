using Composer.Core;
using Composer.Loggers;

namespace Composer.Callbacks;

/// <summary>
/// Estimates the training time left after every batch and logs it as <c>wall_clock/remaining_estimate</c>
/// (seconds), like <c>composer.callbacks.RuntimeEstimator</c>: the training time per unit of the max
/// duration so far, times what is left. The first <c>skipBatches</c> batches, slow while things warm up,
/// are left out of the rate.
/// </summary>
/// <param name="skipBatches">Batches to leave out of the rate at the start.</param>
public sealed class RuntimeEstimator(int skipBatches = 1) : Callback
{
    private double? _startSeconds;
    private double _startFraction;

    /// <summary>The last estimate of the seconds left; null until there is one.</summary>
    public double? RemainingSeconds { get; private set; }

    /// <summary>Updates and logs the estimate.</summary>
    [OnEvent(Event.BatchEnd)]
    public void Estimate(State state, Logger logger)
    {
        double fraction = state.Progress;
        double seconds = state.Timestamp.TotalWallClock.TotalSeconds;
        if (state.Timestamp.Batch <= skipBatches || _startSeconds is null)
        {
            if (state.Timestamp.Batch >= skipBatches)
            {
                _startSeconds = seconds;
                _startFraction = fraction;
            }
            return;
        }
        double done = fraction - _startFraction;
        if (done <= 0) return;
        RemainingSeconds = (seconds - _startSeconds.Value) / done * (1 - fraction);
        logger.LogMetric("wall_clock/remaining_estimate", RemainingSeconds.Value);
    }
}
