using static TorchSharp.torch;

namespace Composer.Metrics;

/// <summary>
/// A metric accumulated over batches, in the style of torchmetrics: <see cref="Update"/> per batch (on the
/// device, without waiting for it), <see cref="Compute"/> once at the end, <see cref="Reset"/> before reuse.
/// </summary>
public abstract class Metric : IDisposable
{
    /// <summary>The name the metric is logged under.</summary>
    public abstract string Name { get; }

    /// <summary>Adds one batch of model outputs and targets.</summary>
    public abstract void Update(Tensor outputs, Tensor targets);

    /// <summary>The metric over everything added since the last reset. May wait for the device.</summary>
    public abstract double Compute();

    /// <summary>Forgets everything added.</summary>
    public abstract void Reset();

    /// <summary>
    /// Combines what every rank added, so that <see cref="Compute"/> gives the metric over all ranks' data (a
    /// collective: every rank calls it). The default refuses, so that a metric without it is never silently one
    /// rank's value; a metric made of sums (as <see cref="Accuracy"/> is) all-reduces them.
    /// </summary>
    /// <exception cref="NotSupportedException">The metric cannot be combined over ranks.</exception>
    public virtual void Synchronize(Distributed.ICommunicator communicator)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        if (communicator.WorldSize > 1)
            throw new NotSupportedException($"The metric {Name} cannot combine its values over {communicator.WorldSize} ranks; override Metric.Synchronize.");
    }

    /// <summary>
    /// A new, empty metric with the same settings: models hand each evaluator and training its own copy of the metrics
    /// they are given (<c>ComposerClassifier(..., metrics: [new BinaryF1Score()])</c>), as Composer deep-copies them.
    /// </summary>
    /// <exception cref="NotSupportedException">The metric does not say how to copy itself; override this.</exception>
    public virtual Metric Clone() =>
        throw new NotSupportedException($"The metric {Name} cannot be copied for each evaluator; override Metric.Clone to return a new instance with the same settings.");

    /// <summary>Frees any tensors the metric holds.</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);
}
