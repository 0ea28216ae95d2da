using Composer.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// Sequence-length warmup's length at batch <paramref name="batch"/> of a run of <paramref name="totalBatches"/>, as
    /// Composer's <c>SeqLengthWarmup</c> computes it: the length grows by <paramref name="stepSize"/> every
    /// ⌊warmup batches / ⌊(max − min) / step⌋⌋ batches, where the warmup is ⌊<paramref name="totalBatches"/> ×
    /// <paramref name="duration"/>⌋ batches, and stays within [min, max]. Where Composer divides by zero (min equal to max,
    /// or fewer warmup batches than steps) the length grows every batch.
    /// </summary>
    public static long WarmupSequenceLength(long batch, long totalBatches, double duration = 0.3, long minLength = 8, long maxLength = 1024,
        long stepSize = 8)
    {
        long warmupBatches = (long)(totalBatches * duration);
        long updates = (maxLength - minLength) / stepSize;
        long updateEvery = updates == 0 ? 1 : Math.Max(1, warmupBatches / updates);
        long length = stepSize * (batch / updateEvery) + minLength;
        return Math.Min(Math.Max(length, minLength), maxLength);
    }

    /// <summary>
    /// Shortens the sequences of a batch to <paramref name="length"/> (Li et al., 2021, "The Stability-Efficiency
    /// Dilemma", arXiv:2108.06084), as Composer's <c>set_batch_sequence_length</c>. Truncating keeps the first
    /// <paramref name="length"/> tokens of every [N, T, ...] tensor; with <paramref name="preserveEndOfSequence"/> each
    /// sequence's last real token (by <c>attention_mask</c>) is written at its new end. Not truncating flattens each
    /// tensor, drops the tokens past the last whole piece and re-chunks it into rows of <paramref name="length"/>:
    /// [2, 10] at 4 becomes [5, 4], so every token but the remainder of the whole batch is kept.
    /// </summary>
    /// <remarks>
    /// Where Composer refuses a tensor with one value per sample (a sequence classification label), truncating keeps it
    /// as it is; re-chunking refuses it as Composer does, since rows then mix samples.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// Inputs that are not [N, T, ...]; re-chunking a tensor not shaped like the inputs; preserving the end without an
    /// <c>attention_mask</c>.
    /// </exception>
    public static Batch SetBatchSequenceLength(Batch batch, long length, bool truncate = true, bool preserveEndOfSequence = false)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "The sequence length is at least 1.");
        Tensor inputs = batch.Require(batch.InputsKey, "SeqLengthWarmup");
        if (inputs.dim() < 2)
            throw new ArgumentException($"Sequence-length warmup needs inputs '{batch.InputsKey}' of shape [N, T, ...]; got [{string.Join(", ", inputs.shape)}].", nameof(batch));
        long t = inputs.shape[1];
        if (length >= t) return batch;
        if (!truncate) return Rechunk(batch, inputs, length);
        if (!preserveEndOfSequence)
            return batch.Map((_, x) => x.dim() >= 2 ? x.narrow(1, 0, length).contiguous() : x);
        Tensor mask = batch.TryGetValue(Batch.AttentionMask, out Tensor? m) ? m
            : throw new ArgumentException("Preserving the end of each sequence needs the batch's \"attention_mask\" to find it.", nameof(batch));
        Tensor rows = arange(mask.shape[0], device: mask.device);
        Tensor end = mask.sum(1).to(int64) - 1;
        Tensor newEnd = end.clamp(max: length - 1);
        return batch.Map((_, x) =>
        {
            if (x.dim() < 2) return x;
            Tensor last = x.index(TensorIndex.Tensor(rows), TensorIndex.Tensor(end));
            Tensor cut = x.narrow(1, 0, length).contiguous();
            return cut.index_put_(last, TensorIndex.Tensor(rows), TensorIndex.Tensor(newEnd));
        });
    }

    private static Batch Rechunk(Batch batch, Tensor inputs, long length)
    {
        long[] shape = inputs.shape;
        long kept = inputs.numel() / length * length;
        foreach ((string key, Tensor x) in batch)
        {
            if (!x.shape.AsSpan().SequenceEqual(shape))
                throw new ArgumentException(
                    $"Re-chunking sequences (truncate: false) needs every tensor shaped like '{batch.InputsKey}' [{string.Join(", ", shape)}]; " +
                    $"'{key}' is [{string.Join(", ", x.shape)}]. Use truncate: true for batches with a label per sample.", nameof(batch));
        }
        return batch.Map((_, x) => x.reshape(-1).narrow(0, 0, kept).view(-1, length));
    }
}
