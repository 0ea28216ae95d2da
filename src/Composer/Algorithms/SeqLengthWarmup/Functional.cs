using Composer.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// Sequence-length warmup's length at <paramref name="elapsed"/>, as Composer computes it: from
    /// <paramref name="minLength"/> up to <paramref name="maxLength"/> over the first <paramref name="duration"/> of
    /// training, rounded down to a multiple of <paramref name="stepSize"/>.
    /// </summary>
    public static long WarmupSequenceLength(double elapsed, double duration = 0.3, long minLength = 8, long maxLength = 1024, long stepSize = 8)
    {
        double raw = duration <= 0 ? maxLength : minLength + (maxLength - minLength) * Math.Min(1, elapsed / duration);
        long length = stepSize * (long)(raw / stepSize);
        return Math.Clamp(length, minLength, maxLength);
    }

    /// <summary>
    /// Shortens the sequences of a [N, T, ...] batch to <paramref name="length"/> (Li et al., 2021, "The Stability-Efficiency
    /// Dilemma", arXiv:2108.06084), as Composer's <c>set_batch_sequence_length</c>: by truncating, or by cutting each
    /// sequence into pieces of that length (dropping the remainder), which keeps every token. Targets with the same
    /// [N, T] shape (language modelling) are cut the same way; class labels are repeated per piece.
    /// </summary>
    public static Batch SetBatchSequenceLength(Batch batch, long length, bool truncate = true)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Tensor inputs = batch.Inputs;
        if (inputs.dim() < 2) throw new ArgumentException($"Sequence-length warmup needs inputs of shape [N, T, ...]; got [{string.Join(", ", inputs.shape)}].", nameof(batch));
        long n = inputs.shape[0], t = inputs.shape[1];
        if (length >= t) return batch;
        bool sequenceTargets = batch.Targets.dim() >= 2 && batch.Targets.shape[0] == n && batch.Targets.shape[1] == t;
        if (truncate)
            return new Batch(inputs.narrow(1, 0, length), sequenceTargets ? batch.Targets.narrow(1, 0, length) : batch.Targets);
        long pieces = t / length;
        Tensor Cut(Tensor x) => x.narrow(1, 0, pieces * length).reshape([n * pieces, length, .. x.shape.Skip(2)]);
        Tensor targets = sequenceTargets ? Cut(batch.Targets) : batch.Targets.repeat_interleave(pieces, dim: 0);
        return new Batch(Cut(inputs), targets);
    }
}
