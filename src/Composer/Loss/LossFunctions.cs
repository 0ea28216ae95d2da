using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Loss;

/// <summary>How targets are given, as Composer's <c>infer_target_type</c> tells them apart.</summary>
public enum TargetType
{
    /// <summary>Class indices: the input has one more dimension than the targets (<c>[N, C]</c> against <c>[N]</c>).</summary>
    Indices,
    /// <summary>Class probabilities shaped like the input.</summary>
    OneHot,
}

/// <summary>The loss functions of <c>composer.loss</c> and their helpers (<c>composer.loss.utils</c>).</summary>
public static class LossFunctions
{
    /// <summary>
    /// Whether <paramref name="targets"/> are class probabilities (shaped like <paramref name="input"/>) or class indices
    /// (one dimension fewer), as Composer's <c>infer_target_type</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes that are neither.</exception>
    public static TargetType InferTargetType(Tensor input, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(targets);
        if (input.shape.AsSpan().SequenceEqual(targets.shape)) return TargetType.OneHot;
        if (input.dim() == targets.dim() + 1) return TargetType.Indices;
        throw new ArgumentException(
            $"Cannot tell class indices from class probabilities: the targets are [{string.Join(", ", targets.shape)}] and the input " +
            $"[{string.Join(", ", input.shape)}]. Probabilities have the input's shape; indices have one dimension fewer (no class axis).", nameof(targets));
    }

    /// <summary>
    /// Class indices as one-hot float32 probabilities with the class axis second (<c>[N]</c> to <c>[N, C]</c>,
    /// <c>[N, H, W]</c> to <c>[N, C, H, W]</c>), C taken from the input unless given; targets that already are
    /// probabilities become float32 as they are (Composer's <c>ensure_targets_one_hot</c>).
    /// </summary>
    public static Tensor EnsureTargetsOneHot(Tensor input, Tensor targets, long? numClasses = null) =>
        InferTargetType(input, targets) == TargetType.Indices
            ? OneHot(targets, numClasses ?? input.shape[1], dim: 1).to(float32)
            : targets.to(float32);

    /// <summary>
    /// One-hot rows of integer class indices, with the class axis inserted at <paramref name="dim"/> (Composer's
    /// <c>_one_hot</c>): negative indices (an ignore index such as −100) become all-zero rows.
    /// </summary>
    /// <param name="indices">Integer class indices.</param>
    /// <param name="numClasses">The number of classes; −1 for the largest index plus one.</param>
    /// <param name="dim">Where the class axis goes; −1 for last.</param>
    /// <returns>A tensor of the indices' integer type.</returns>
    /// <exception cref="ArgumentException">Indices that are not integers, or an index of <paramref name="numClasses"/> or more.</exception>
    public static Tensor OneHot(Tensor indices, long numClasses = -1, long dim = -1)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.is_floating_point() || indices.dtype == ScalarType.Bool)
            throw new ArgumentException($"Class indices must be integers; these are {indices.dtype}.", nameof(indices));
        using var scope = NewDisposeScope();
        if (numClasses == -1 || indices.device_type == DeviceType.CPU)
        {
            // Reading the largest index waits for the device; on the CPU it costs nothing, and -1 needs it anyway.
            long largest = indices.numel() == 0 ? -1 : indices.max().item<long>();
            if (numClasses == -1) numClasses = largest + 1;
            if (largest >= numClasses)
                throw new ArgumentException($"The class index {largest} needs at least {largest + 1} classes, not {numClasses}.", nameof(numClasses));
        }
        // Negative indices go to an extra class that is cut off again, so they leave rows of zeros.
        Tensor shifted = indices.to(int64).masked_fill(indices.lt(0), numClasses);
        Tensor hot = nn.functional.one_hot(shifted, numClasses + 1).narrow(-1, 0, numClasses).to(indices.dtype);
        long axis = dim < 0 ? dim + indices.dim() + 1 : dim;
        return hot.movedim([-1], [axis]).MoveToOuterDisposeScope();
    }

    /// <summary>Cross entropy with class indices or class probabilities as targets (mean over the batch).</summary>
    /// <remarks>The two-argument form for <c>Func&lt;Tensor, Tensor, Tensor&gt;</c> losses; see the full overload.</remarks>
    public static Tensor SoftCrossEntropy(Tensor input, Tensor target) => SoftCrossEntropy(input, target, weight: null);

    /// <summary>
    /// Cross entropy that takes class indices or class probabilities as targets, Composer's <c>soft_cross_entropy</c>:
    /// indices go to libtorch's <c>cross_entropy</c>; probabilities give −Σ p log softmax(x) over the class axis (the
    /// second), times <paramref name="weight"/> per class, and with <see cref="nn.Reduction.Mean"/> the mean is scaled by
    /// the number of examples over the targets' total probability, so rows that sum to less than 1 count less.
    /// </summary>
    /// <param name="input">Logits, <c>[N, C, ...]</c>.</param>
    /// <param name="target">Indices <c>[N, ...]</c> or probabilities shaped like the input.</param>
    /// <param name="weight">A weight per class, <c>[C]</c>; none by default.</param>
    /// <param name="ignoreIndex">With indices, the index that does not count (probabilities mark it with rows of zeros).</param>
    /// <param name="reduction">Mean (default), sum or none.</param>
    /// <exception cref="ArgumentException">Probability targets with no probability at all, under mean reduction (checked on the CPU).</exception>
    public static Tensor SoftCrossEntropy(Tensor input, Tensor target, Tensor? weight, long ignoreIndex = -100,
        nn.Reduction reduction = nn.Reduction.Mean)
    {
        if (InferTargetType(input, target) == TargetType.Indices)
            return nn.functional.cross_entropy(input, target, weight, ignoreIndex, reduction);
        using var scope = NewDisposeScope();
        Tensor loss = -(target * nn.functional.log_softmax(input, 1));
        if (weight is not null)
            loss = (loss.movedim([1], [-1]) * weight).movedim([-1], [1]);
        loss = loss.sum(1);
        long examples = loss.numel();
        switch (reduction)
        {
            case nn.Reduction.Sum:
                loss = loss.sum();
                break;
            case nn.Reduction.Mean:
                Tensor total = target.sum();
                if (total.device_type == DeviceType.CPU && total.item<float>() <= 0)
                    throw new ArgumentException("No target has any probability: soft cross entropy's mean is undefined.", nameof(target));
                loss = loss.mean() * (examples / total);
                break;
        }
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Binary cross entropy on logits with class indices or probabilities as targets, Composer's
    /// <c>binary_cross_entropy_with_logits</c>: libtorch's, summed by default and divided by the batch size, which keeps
    /// the loss from being tiny when there are many classes.
    /// </summary>
    /// <param name="input">Logits, <c>[N, C, ...]</c>.</param>
    /// <param name="target">Indices (made one-hot) or probabilities shaped like the input.</param>
    /// <param name="weight">A rescaling weight per element, broadcast to the input.</param>
    /// <param name="reduction">Sum (Composer's default), mean or none.</param>
    /// <param name="posWeight">A weight of positive examples per class.</param>
    /// <param name="scaleByBatchSize">Divide by <c>N</c>.</param>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null,
        nn.Reduction reduction = nn.Reduction.Sum, Tensor? posWeight = null, bool scaleByBatchSize = true)
    {
        using var scope = NewDisposeScope();
        Tensor loss = nn.functional.binary_cross_entropy_with_logits(input, EnsureTargetsOneHot(input, target), weight, reduction, posWeight);
        if (scaleByBatchSize) loss = loss / input.shape[0];
        return loss.MoveToOuterDisposeScope();
    }
}
