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
    /// Shortens the sequences of a batch to <paramref name="length"/> (Li et al., 2021, "The Stability-Efficiency
    /// Dilemma", arXiv:2108.06084), as Composer's <c>set_batch_sequence_length</c>: by truncating, or by cutting each
    /// sequence into pieces of that length (dropping the remainder), which keeps every token. Every sequence tensor
    /// of the batch, [N, T, ...] like the inputs (<c>input_ids</c>, <c>attention_mask</c>, language-modelling labels),
    /// is cut the same way. Composer rejects one-per-sample tensors; here they are kept (truncating) or repeated per
    /// piece (cutting), so sequence classification's labels go along.
    /// </summary>
    /// <exception cref="ArgumentException">The inputs are not [N, T, ...].</exception>
    public static Batch SetBatchSequenceLength(Batch batch, long length, bool truncate = true)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "The sequence length is at least 1.");
        Tensor inputs = batch.Require(batch.InputsKey, "SeqLengthWarmup");
        if (inputs.dim() < 2)
            throw new ArgumentException($"Sequence-length warmup needs inputs '{batch.InputsKey}' of shape [N, T, ...]; got [{string.Join(", ", inputs.shape)}].", nameof(batch));
        long n = inputs.shape[0], t = inputs.shape[1];
        if (length >= t) return batch;
        bool IsSequence(Tensor x) => x.dim() >= 2 && x.shape[1] == t;
        if (truncate)
            return batch.Map((_, x) => IsSequence(x) ? x.narrow(1, 0, length) : x);
        long pieces = t / length;
        return batch.Map((_, x) => IsSequence(x)
            ? x.narrow(1, 0, pieces * length).reshape([n * pieces, length, .. x.shape.Skip(2)])
            : x.repeat_interleave(pieces, dim: 0));
    }
}
