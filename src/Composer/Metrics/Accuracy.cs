using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Metrics;

/// <summary>
/// The fraction of samples whose highest-scoring class is the target class. Targets may be class indices
/// or rows of class probabilities (their highest entry is the class).
/// </summary>
public sealed class Accuracy : Metric
{
    // Kept on the device so that Update never waits for it; only Compute reads it back.
    private Tensor? _correct;
    private long _total;

    /// <inheritdoc/>
    public override string Name => "Accuracy";

    /// <inheritdoc/>
    public override void Update(Tensor outputs, Tensor targets)
    {
        using var scope = NewDisposeScope();
        Tensor predicted = outputs.argmax(1);
        Tensor labels = targets.dim() == outputs.dim() ? targets.argmax(1) : targets;
        if (_correct is null)
            _correct = zeros(1, int64, outputs.device).DetachFromDisposeScope();
        _correct.add_(predicted.eq(labels).sum());
        _total += outputs.shape[0];
    }

    /// <inheritdoc/>
    public override double Compute() => _total == 0 || _correct is null ? 0.0 : _correct.item<long>() / (double)_total;

    /// <summary>Sums the correct and total counts over all ranks.</summary>
    public override void Synchronize(Distributed.ICommunicator communicator)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        if (communicator.WorldSize == 1) return;
        using var counts = tensor(new[] { _correct?.cpu().item<long>() ?? 0, _total });
        communicator.AllReduce(counts);
        long[] summed = counts.data<long>().ToArray();
        using var scope = NewDisposeScope();
        if (_correct is null) _correct = zeros(1, int64).DetachFromDisposeScope();
        _correct.fill_(summed[0]);
        _total = summed[1];
    }

    /// <inheritdoc/>
    public override Metric Clone() => new Accuracy();

    /// <inheritdoc/>
    public override void Reset()
    {
        // zero_ hands back a new wrapper of the same tensor; the scope frees the wrapper, not the tensor.
        using var scope = NewDisposeScope();
        _correct?.zero_();
        _total = 0;
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _correct?.Dispose();
        _correct = null;
        base.Dispose();
    }
}
