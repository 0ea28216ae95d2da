using Composer.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Data;

/// <summary>
/// One batch of inputs and targets. Algorithms replace it with <c>state.Batch = state.Batch with { Targets = ... }</c>.
/// </summary>
/// <param name="Inputs">The model inputs; the first dimension counts samples.</param>
/// <param name="Targets">The targets: class indices, or one row of class probabilities per sample.</param>
public sealed record Batch(Tensor Inputs, Tensor Targets)
{
    /// <summary>The number of samples in the batch (the first dimension of <see cref="Inputs"/>).</summary>
    public long Size => Inputs.size(0);

    /// <summary>The batch on <paramref name="device"/>; the same batch when it is there already.</summary>
    public Batch To(Device device) =>
        Inputs.IsOn(device) && Targets.IsOn(device) ? this : new Batch(Inputs.to(device), Targets.to(device));
}
