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
/// Composer's <c>preserve_end_of_sequence</c> is not offered.
/// </remarks>
public sealed class SeqLengthWarmup : Algorithm
{
    /// <summary>Creates the algorithm.</summary>
    public SeqLengthWarmup(double duration = 0.3, long minSeqLength = 8, long maxSeqLength = 1024, long stepSize = 8, bool truncate = true)
    {
        if (!(duration >= 0 && duration <= 1)) throw new ArgumentOutOfRangeException(nameof(duration), duration, "The warmup duration is a fraction of training in [0, 1].");
        if (minSeqLength < 1 || maxSeqLength < minSeqLength) throw new ArgumentException($"Need 1 <= minSeqLength <= maxSeqLength; got {minSeqLength} and {maxSeqLength}.");
        if (stepSize < 1) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "The step size is at least 1.");
        Duration = duration;
        MinSeqLength = minSeqLength;
        MaxSeqLength = maxSeqLength;
        StepSize = stepSize;
        Truncate = truncate;
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
    /// <summary>The length of the last batch.</summary>
    public long Length { get; private set; }

    /// <summary>Shortens the batch's sequences to this point's length.</summary>
    [OnEvent(Event.AfterDataloader)]
    [Rewrites(Rewrite.Inputs)]
    public void ShortenSequences(State state)
    {
        Length = Functional.WarmupSequenceLength(state.Progress, Duration, MinSeqLength, MaxSeqLength, StepSize);
        state.Batch = Functional.SetBatchSequenceLength(state.Batch, Length, Truncate);
    }
}
