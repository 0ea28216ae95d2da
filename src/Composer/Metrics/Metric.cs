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

    /// <summary>Frees any tensors the metric holds.</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);
}
