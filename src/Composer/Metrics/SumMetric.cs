using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Metrics;

/// <summary>
/// A metric whose state is sums (counts, a confusion matrix, summed losses), as torchmetrics states with
/// <c>dist_reduce_fx="sum"</c>: kept on the device as float64 so <see cref="Metric.Update"/> never waits for it, read once by
/// <see cref="Compute()"/>, and added up over ranks by <see cref="Synchronize"/>.
/// </summary>
public abstract class SumMetric : Metric
{
    private readonly long[] _shape;
    private Tensor? _sums;

    /// <summary>A metric of sums in the shape <paramref name="shape"/> (a single number when empty).</summary>
    protected SumMetric(params long[] shape) => _shape = shape;

    /// <summary>Adds <paramref name="values"/> (the state's shape) to the sums, on their device.</summary>
    protected void Add(Tensor values)
    {
        using var scope = NewDisposeScope();
        _sums ??= zeros(_shape, float64, values.device).DetachFromDisposeScope();
        _sums.add_(values.to(float64).reshape(_shape));
    }

    /// <summary>The sums, read from the device (zeros before any update).</summary>
    protected double[] Sums() => _sums is null ? new double[_shape.Aggregate(1L, (a, b) => a * b)] : _sums.cpu().data<double>().ToArray();

    /// <inheritdoc/>
    public override double Compute() => Compute(Sums());

    /// <summary>The metric from its sums.</summary>
    protected abstract double Compute(double[] sums);

    /// <summary>Adds the sums of every rank.</summary>
    public override void Synchronize(Distributed.ICommunicator communicator)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        if (communicator.WorldSize == 1) return;
        using var scope = NewDisposeScope();
        Tensor summed = tensor(Sums(), _shape);
        communicator.AllReduce(summed);
        _sums ??= zeros(_shape, float64).DetachFromDisposeScope();
        _sums.copy_(summed);
    }

    /// <inheritdoc/>
    public override void Reset()
    {
        using var scope = NewDisposeScope();
        _sums?.zero_();
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _sums?.Dispose();
        _sums = null;
        base.Dispose();
    }

    /// <summary><paramref name="numerator"/> / <paramref name="denominator"/>, 0 when the denominator is 0 (sklearn's and torchmetrics' default).</summary>
    protected static double SafeDivide(double numerator, double denominator) => denominator == 0 ? 0 : numerator / denominator;
}
