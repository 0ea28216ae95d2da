using Composer.Core;

namespace Composer.Algorithms;

/// <summary>
/// Trains on short sequences first and lengthens them over the first part of training, like
/// <c>composer.algorithms.SeqLengthWarmup</c>. See <see cref="Functional.WarmupSequenceLength"/> and
/// <see cref="Functional.SetBatchSequenceLength"/>.
/// </summary>
/// <remarks>
/// Li et al., 2021 (arXiv:2108.06084). Composer's defaults: duration 0.3, lengths 8 to 1024 in steps of 8, truncate.
/// Composer requires a Hugging Face model; here any model that takes [N, T, ...] token inputs works, with a
/// dict batch (every sequence tensor is shortened, the attention mask with the ids) or an (inputs, targets) pair.
/// As in Composer, the run's max duration must be in epochs or batches.
/// </remarks>
public sealed class SeqLengthWarmup : Algorithm
{
    /// <summary>Creates the algorithm.</summary>
    /// <param name="duration">The share of training over which the length grows.</param>
    /// <param name="minSeqLength">The first length.</param>
    /// <param name="maxSeqLength">The last length.</param>
    /// <param name="stepSize">How much the length grows at a time.</param>
    /// <param name="truncate">Truncate the sequences (true), or re-chunk the batch into more, shorter ones (false).</param>
    /// <param name="preserveEndOfSequence">When truncating, keep each sequence's last real token at its new end (Composer's <c>preserve_end_of_sequence</c>).</param>
    public SeqLengthWarmup(double duration = 0.3, long minSeqLength = 8, long maxSeqLength = 1024, long stepSize = 8, bool truncate = true,
        bool preserveEndOfSequence = false)
    {
        if (!(duration >= 0 && duration <= 1)) throw new ArgumentOutOfRangeException(nameof(duration), duration, "The warmup duration is a fraction of training in [0, 1].");
        if (minSeqLength < 1 || maxSeqLength < minSeqLength) throw new ArgumentException($"Need 1 <= minSeqLength <= maxSeqLength; got {minSeqLength} and {maxSeqLength}.");
        if (stepSize < 1) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "The step size is at least 1.");
        Duration = duration;
        MinSeqLength = minSeqLength;
        MaxSeqLength = maxSeqLength;
        StepSize = stepSize;
        Truncate = truncate;
        PreserveEndOfSequence = preserveEndOfSequence;
    }

    /// <summary>The share of training over which the length grows.</summary>
    public double Duration { get; }
    /// <summary>The first length.</summary>
    public long MinSeqLength { get; }
    /// <summary>The last length.</summary>
    public long MaxSeqLength { get; }
    /// <summary>Lengths are multiples of this.</summary>
    public long StepSize { get; }
    /// <summary>Truncate (true) or cut into pieces (false).</summary>
    public bool Truncate { get; }
    /// <summary>Whether truncating keeps each sequence's last real token.</summary>
    public bool PreserveEndOfSequence { get; }
    /// <summary>The length of the last batch.</summary>
    public long Length { get; private set; }

    /// <summary>Shortens the batch's sequences to this point's length.</summary>
    [OnEvent(Event.AfterDataloader)]
    [Rewrites(Rewrite.Inputs)]
    public void ShortenSequences(State state)
    {
        Length = Functional.WarmupSequenceLength(state.Timestamp.Batch, TotalBatches(state), Duration, MinSeqLength, MaxSeqLength, StepSize);
        state.Batch = Functional.SetBatchSequenceLength(state.Batch, Length, Truncate, PreserveEndOfSequence);
    }

    // Composer's num_optimization_steps: the run's length in batches.
    private static long TotalBatches(State state) => state.MaxDuration.Unit switch
    {
        TimeUnit.Epoch => (long)(state.TrainDataloader.Count * state.MaxDuration.Value),
        TimeUnit.Batch => (long)state.MaxDuration.Value,
        _ => throw new NotSupportedException(
            $"SeqLengthWarmup schedules by batches, so the max duration must be in ep or ba, as in Composer; it is {state.MaxDuration}."),
    };
}
