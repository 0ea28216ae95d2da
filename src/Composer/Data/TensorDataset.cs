using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Data;

/// <summary>
/// A dataset held as two tensors whose first dimension indexes samples, like
/// <c>torch.utils.data.TensorDataset</c>. The dataset owns the tensors.
/// </summary>
public class TensorDataset : IDisposable
{
    /// <summary>Wraps <paramref name="inputs"/> and <paramref name="targets"/>, which must hold the same number of samples.</summary>
    public TensorDataset(Tensor inputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.dim() == 0 || targets.dim() == 0 || inputs.shape[0] != targets.shape[0])
            throw new ArgumentException(
                $"Inputs and targets must have the same first dimension (the sample count); got inputs [{string.Join(", ", inputs.shape)}] and targets [{string.Join(", ", targets.shape)}].",
                nameof(targets));
        Inputs = inputs.DetachFromDisposeScope();
        Targets = targets.DetachFromDisposeScope();
        // Read once: tensor.shape allocates an array and calls into libtorch, and the loop asks every batch.
        Count = inputs.size(0);
    }

    /// <summary>All inputs, one sample per row.</summary>
    public Tensor Inputs { get; }

    /// <summary>All targets, one sample per row.</summary>
    public Tensor Targets { get; }

    /// <summary>The number of samples.</summary>
    public long Count { get; }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
        GC.SuppressFinalize(this);
    }
}
