using Composer.Core;
using Composer.Loggers;
using Composer.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Callbacks;

/// <summary>
/// Logs gradient norms and the optimizer's own per-parameter metrics every <c>batchLogInterval</c> batches, as
/// <c>composer.callbacks.OptimizerMonitor</c>: <c>l2_norm/grad/{name}</c> for every parameter with a gradient and
/// <c>l2_norm/grad/global</c>, their root sum of squares; with <c>logOptimizerMetrics</c> and an optimizer that
/// reports them (<see cref="IReportsParameterMetrics"/>: <see cref="DecoupledAdamW"/>), also
/// <c>l2_norm/moment/{name}</c>, <c>l2_norm/second_moment_sqrt/{name}</c>, <c>l2_norm/param/{name}</c> and
/// <c>l2_norm/update/{name}</c>, and for each of those a <c>.../global</c> total, which Composer logs for gradients only.
/// </summary>
/// <remarks>
/// The norms are computed on the device and logged as tensors, read with the other logged values at the next flush
/// (<see cref="TrainerOptions.LogInterval"/>): no device wait at the batch. Between intervals the handler only compares
/// the batch count.
/// </remarks>
/// <param name="logOptimizerMetrics">Also log what the optimizer reports.</param>
/// <param name="batchLogInterval">Log every this many batches (Composer's default 10).</param>
public sealed class OptimizerMonitor(bool logOptimizerMetrics = true, int batchLogInterval = 10) : Callback
{
    /// <summary>Every how many batches the norms are logged.</summary>
    public int BatchLogInterval { get; } = batchLogInterval >= 1 ? batchLogInterval : throw new ArgumentOutOfRangeException(nameof(batchLogInterval), batchLogInterval, "Log at least every batch.");

    /// <summary>Computes and logs the norms, after the optimizer step and before the gradients are cleared.</summary>
    [OnEvent(Event.BatchEnd)]
    public void LogNorms(State state, Logger logger)
    {
        if (state.Timestamp.Batch % BatchLogInterval != 0) return;
        var reporter = logOptimizerMetrics ? state.Optimizer as IReportsParameterMetrics : null;
        var metrics = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach ((string name, var parameter) in state.Model.named_parameters())
        {
            using Tensor? grad = parameter.grad;
            if (grad is null || !parameter.requires_grad) continue;
            reporter?.ReportParameterMetrics(parameter, name, metrics);
            if (!metrics.ContainsKey($"l2_norm/grad/{name}")) metrics[$"l2_norm/grad/{name}"] = linalg.vector_norm(grad);
        }
        foreach (string kind in metrics.Keys.Select(k => k[..k.IndexOf('/', "l2_norm/".Length)]).Distinct().ToList())
        {
            Tensor[] norms = [.. metrics.Where(m => m.Key.StartsWith(kind + "/", StringComparison.Ordinal)).Select(m => m.Value)];
            using Tensor stacked = stack(norms);
            metrics[$"{kind}/global"] = stacked.square().sum().sqrt();
        }
        foreach ((string key, Tensor value) in metrics) logger.LogTensorMetrics(key, value);
    }
}
