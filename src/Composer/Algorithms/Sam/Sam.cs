using Composer.Core;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// Sharpness-aware minimization, like <c>composer.algorithms.SAM</c>: after the batch's gradients are computed, the
/// weights move up the gradient by <c>rho</c> (<see cref="Functional.SamAscend"/>), the loss and gradients are computed
/// again there, and the weights move back, so the optimizer steps with the gradient of the sharpest nearby point.
/// </summary>
/// <remarks>
/// Foret et al., 2021 (arXiv:2010.01412). Composer's defaults: rho 0.05, epsilon 1e-12, interval 1. Composer wraps
/// the optimizer and runs the whole train-batch block (its events included) a second time; here the second forward
/// and backward run inside <see cref="SharpenGradients"/> on the whole batch, without raising events again. Every
/// <c>interval</c>-th batch takes the SAM step; the others are plain steps.
/// </remarks>
public sealed class Sam : Algorithm
{
    /// <summary>Creates the algorithm.</summary>
    /// <param name="rho">The size of the ascent step.</param>
    /// <param name="epsilon">Keeps the division finite when the gradient is zero.</param>
    /// <param name="interval">Take a SAM step every this many batches.</param>
    public Sam(double rho = 0.05, double epsilon = 1e-12, int interval = 1)
    {
        if (!(rho > 0)) throw new ArgumentOutOfRangeException(nameof(rho), rho, "SAM's rho must be positive.");
        if (interval < 1) throw new ArgumentOutOfRangeException(nameof(interval), interval, "SAM's interval is at least 1 batch.");
        Rho = rho;
        Epsilon = epsilon;
        Interval = interval;
    }

    /// <summary>The ascent step's size.</summary>
    public double Rho { get; }
    /// <summary>The division's guard.</summary>
    public double Epsilon { get; }
    /// <summary>A SAM step every this many batches.</summary>
    public int Interval { get; }

    /// <summary>Replaces the batch's gradients with those at the ascended weights.</summary>
    [OnEvent(Event.AfterTrainBatch)]
    [Rewrites(Rewrite.Gradients)]
    public void SharpenGradients(State state)
    {
        if ((state.Timestamp.Batch + 1) % Interval != 0) return;
        if (state.ShardsOptimizerState)
            throw new NotSupportedException("SAM ascends along every parameter's gradient, but with ShardOptimizerState each rank holds only its own; train SAM with plain data parallelism (ShardOptimizerState = false).");
        var moves = Functional.SamAscend(state.Model.parameters(), Rho, Epsilon);
        try
        {
            state.Optimizer.zero_grad();
            Tensor loss = state.Model.Loss(state.Model.Forward(state.Batch), state.Batch);
            loss.backward();
            // Under data parallelism the ranks' second gradients are averaged too, or their weights would drift apart.
            state.ReduceGradients();
        }
        finally
        {
            Functional.SamRestore(moves);
        }
    }
}
