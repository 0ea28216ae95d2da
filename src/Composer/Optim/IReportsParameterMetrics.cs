using static TorchSharp.torch;

namespace Composer.Optim;

/// <summary>
/// An optimizer that reports norms of its per-parameter state (Composer's <c>report_per_parameter_metrics</c>), which
/// <see cref="Callbacks.OptimizerMonitor"/> logs: <see cref="DecoupledAdamW"/> reports its moments, the parameter, the
/// update it would apply and the gradient.
/// </summary>
public interface IReportsParameterMetrics
{
    /// <summary>Adds <c>&lt;metric&gt;/&lt;name&gt;</c> entries (scalar tensors on the parameter's device) for one parameter.</summary>
    void ReportParameterMetrics(TorchSharp.Modules.Parameter parameter, string name, IDictionary<string, Tensor> metrics);
}
