using Composer.Core;
using Composer.Loggers;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Callbacks;

/// <summary>
/// Logs the L2 norms of the gradients and of the weights after every batch, like
/// <c>composer.callbacks.OptimizerMonitor</c>: <c>l2_norm/grad/global</c>, <c>l2_norm/param/global</c> and,
/// per parameter, <c>l2_norm/grad/{name}</c> and <c>l2_norm/param/{name}</c>.
/// </summary>
/// <remarks>
/// The norms are computed on the device and logged as tensors, so they are read with the other logged
/// values at the next flush (<see cref="TrainerOptions.LogInterval"/>), not every batch.
/// </remarks>
/// <param name="perParameter">Also log each parameter's norms, not only the global ones.</param>
public sealed class OptimizerMonitor(bool perParameter = false) : Callback
{
    /// <summary>Computes and logs the norms, after the optimizer step and before the gradients are cleared.</summary>
    [OnEvent(Event.BatchEnd)]
    public void LogNorms(State state, Logger logger)
    {
        Tensor? gradSquares = null;
        Tensor? paramSquares = null;
        foreach ((string name, var parameter) in state.Model.named_parameters())
        {
            Tensor weightNorm = parameter.detach().norm();
            paramSquares = paramSquares is null ? weightNorm.square() : paramSquares + weightNorm.square();
            if (perParameter) logger.LogTensorMetrics($"l2_norm/param/{name}", weightNorm);
            if (parameter.grad is not { } grad) continue;
            Tensor gradNorm = grad.norm();
            gradSquares = gradSquares is null ? gradNorm.square() : gradSquares + gradNorm.square();
            if (perParameter) logger.LogTensorMetrics($"l2_norm/grad/{name}", gradNorm);
        }
        if (gradSquares is not null) logger.LogTensorMetrics("l2_norm/grad/global", gradSquares.sqrt());
        if (paramSquares is not null) logger.LogTensorMetrics("l2_norm/param/global", paramSquares.sqrt());
    }
}
